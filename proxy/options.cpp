#include "proxy/options.hpp"

#include <sched.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace mcrelay {
namespace {

template <typename T>
bool parse_uint(const std::string& s, T& out, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::string verbosity_log_level(unsigned verbosity) {
  if (verbosity == 0) return "warn";
  if (verbosity == 1) return "info";
  return "debug";
}

std::optional<std::size_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::string digits = text;
  std::size_t mult = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  if (last == 'k') mult = 1024;
  else if (last == 'm') mult = 1024 * 1024;
  else if (last == 'g') mult = 1024ull * 1024 * 1024;
  if (mult != 1) digits.pop_back();
  std::size_t v = 0;
  if (!parse_uint(digits, v, (1ull << 40))) return std::nullopt;
  return v * mult;
}

unsigned available_cpus() {
  unsigned cpus = 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = static_cast<unsigned>(CPU_COUNT(&set));
  double quota_cpus = 0;
  // cgroup v2: "max 100000" or "<quota> <period>".
  if (std::ifstream f("/sys/fs/cgroup/cpu.max"); f) {
    std::string quota, period;
    f >> quota >> period;
    if (quota != "max" && !quota.empty() && !period.empty()) {
      double q = std::atof(quota.c_str()), p = std::atof(period.c_str());
      if (q > 0 && p > 0) quota_cpus = q / p;
    }
  } else if (std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p("/sys/fs/cgroup/cpu/cpu.cfs_period_us"); q && p) {
    double qv = 0, pv = 0;
    q >> qv;
    p >> pv;
    if (qv > 0 && pv > 0) quota_cpus = qv / pv;
  }
  if (quota_cpus > 0) cpus = std::min<unsigned>(cpus, static_cast<unsigned>(std::ceil(quota_cpus)));
  return std::max(1u, cpus);
}

std::string usage_text() {
  return R"(Usage: mcrelay [options]

A memcached proxy that reads mcrouter's route config (JSON) and flags.

Options:
  -p, --port PORT             port to listen on (default 5000; 0 picks a free port and logs it)
      --listen-addresses A,B  addresses to listen on (default 0.0.0.0)
      --config file:PATH      load the route config from PATH
      --config '<json>'       use this JSON as the route config
  -f, --config-file PATH      same as --config file:PATH
      --num-proxies N         worker threads (default: the CPUs this process may use, cgroup quota included)
  -t, --server-timeout MS     upstream reply timeout in milliseconds (default 1000)
      --connect-timeout MS    upstream connect timeout in milliseconds (default 1000)
      --max-item-size SIZE    largest value forwarded, e.g. 1048576, 1m, 512k (default 64m: larger values get
                              "SERVER_ERROR object too large for cache"; smaller ones are the server's to judge)
      --connections-per-server N  upstream connections per worker per server (default 1)
      --max-client-outstanding N  pipelined requests per client before reading pauses (default 1024)
  -R, --route-prefix PREFIX   default routing prefix (default /././)
      --timeouts-until-tko N  consecutive timeouts/connect failures that mark a server down (default 3)
      --probe-timeout-initial MS  first probe of a down server after MS (default 3000; doubles, with jitter)
      --probe-timeout-max MS  ceiling of the probe interval (default 60000)
      --max-conns N           client connections in total; past it new ones are refused (default 0: no limit)
      --idle-timeout-ms MS    close a client idle this long (default 0: never)
      --drain-timeout-ms MS   on SIGTERM, time allowed for in-flight requests (default 5000)
      --max-client-queued-bytes SIZE  reply bytes a client may leave unread before it is closed (default 64m)
      --admin-port PORT       HTTP admin listener: /healthz /readyz /metrics /config /route (default: off)
      --admin-address ADDR    address of the admin listener (default 0.0.0.0)
      --log-format FORMAT     text (default) or json (one object per line)
      --async-dir DIR         spool deletes that fail (server down/timeout) and replay them (default: off)
      --log-level LEVEL       debug, info, warn or error (default info)
  -v, --verbosity N           mcrouter's spelling of the log level: 0 warn, 1 info, 2 or more debug
      --validate-config       load and check the config, print the result, exit 0 (valid) or 1
      --route-key OP KEY      print the destinations a request would reach, then exit
      --enable-flush-cmd      serve flush_all (default: refused with "SERVER_ERROR Command disabled", as mcrouter)
      --send-invalid-route-to-default  a key whose routing prefix no route serves goes to the default route
                              (default: "SERVER_ERROR local error", as mcrouter)
      --allow-only-gets       answer every operation but get-like ones with its default reply, unrouted
                              (NOT_STORED, NOT_FOUND; mcrouter's testing option)
      --enable-shutdown-cmd   serve the `shutdown` command: drain and stop as on SIGTERM (default: refused)
  -h, --help                  this text
  -V, --version               print the version

With no config, mcrelay serves in front of 127.0.0.1:11211.
)";
}

ParsedOptions parse_options(const std::vector<std::string>& args) {
  ParsedOptions r;
  Options& o = r.options;

  struct Flag {
    bool takes_value;
    std::function<std::string(const std::string&)> apply;  // returns an error message or ""
  };
  auto uint_flag = [](auto& field, std::uint64_t max, const char* what) {
    return Flag{true, [&field, max, what](const std::string& v) -> std::string {
                  if (!parse_uint(v, field, max)) return fmt::format("invalid {} \"{}\"", what, v);
                  return "";
                }};
  };
  std::map<std::string, Flag> flags;
  flags["--port"] = uint_flag(o.port, 65535, "port");
  flags["-p"] = flags["--port"];
  flags["--listen-addresses"] = {true, [&](const std::string& v) {
                                   o.listen_addresses = split_commas(v);
                                   return o.listen_addresses.empty() ? std::string("--listen-addresses is empty")
                                                                     : std::string();
                                 }};
  flags["--config"] = {true, [&](const std::string& v) { o.config = v; return std::string(); }};
  flags["--config-file"] = {true, [&](const std::string& v) { o.config = "file:" + v; return std::string(); }};
  flags["-f"] = flags["--config-file"];
  flags["--num-proxies"] = {true, [&](const std::string& v) {
                              if (!parse_uint(v, o.num_proxies, 1024) || o.num_proxies == 0) {
                                return fmt::format("invalid --num-proxies \"{}\" (1..1024)", v);
                              }
                              return std::string();
                            }};
  flags["--server-timeout"] = uint_flag(o.server_timeout_ms, 3600000, "server timeout");
  flags["-t"] = flags["--server-timeout"];
  flags["--connect-timeout"] = uint_flag(o.connect_timeout_ms, 3600000, "connect timeout");
  flags["--max-item-size"] = {true, [&](const std::string& v) {
                                auto s = parse_size(v);
                                if (!s || *s < 1024 || *s > 1024ull * 1024 * 1024) {
                                  return fmt::format("invalid --max-item-size \"{}\" (1k..1g)", v);
                                }
                                o.max_item_size = *s;
                                return std::string();
                              }};
  flags["--connections-per-server"] = {true, [&](const std::string& v) {
                                         if (!parse_uint(v, o.connections_per_server, 64) ||
                                             o.connections_per_server == 0) {
                                           return fmt::format("invalid --connections-per-server \"{}\" (1..64)", v);
                                         }
                                         return std::string();
                                       }};
  flags["--max-client-outstanding"] = {true, [&](const std::string& v) {
                                         if (!parse_uint(v, o.max_client_outstanding, 1 << 20) ||
                                             o.max_client_outstanding == 0) {
                                           return fmt::format("invalid --max-client-outstanding \"{}\"", v);
                                         }
                                         return std::string();
                                       }};
  flags["--timeouts-until-tko"] = {true, [&](const std::string& v) {
                                     if (!parse_uint(v, o.timeouts_until_tko, 1000) || o.timeouts_until_tko == 0) {
                                       return fmt::format("invalid --timeouts-until-tko \"{}\" (1..1000)", v);
                                     }
                                     return std::string();
                                   }};
  flags["--probe-timeout-initial"] = uint_flag(o.probe_timeout_initial_ms, 3600000, "probe timeout");
  flags["--probe-timeout-max"] = uint_flag(o.probe_timeout_max_ms, 3600000, "probe timeout");
  flags["--max-conns"] = uint_flag(o.max_conns, 10000000, "connection limit");
  flags["--idle-timeout-ms"] = uint_flag(o.idle_timeout_ms, 86400000, "idle timeout");
  flags["--drain-timeout-ms"] = uint_flag(o.drain_timeout_ms, 3600000, "drain timeout");
  flags["--max-client-queued-bytes"] = {true, [&](const std::string& v) {
                                          auto s = parse_size(v);
                                          if (!s || *s < 64 * 1024) {
                                            return fmt::format("invalid --max-client-queued-bytes \"{}\"", v);
                                          }
                                          o.max_client_queued_bytes = *s;
                                          return std::string();
                                        }};
  flags["--admin-port"] = {true, [&](const std::string& v) {
                             unsigned p = 0;
                             if (!parse_uint(v, p, 65535)) return fmt::format("invalid --admin-port \"{}\"", v);
                             o.admin_port = static_cast<int>(p);
                             return std::string();
                           }};
  flags["--admin-address"] = {true, [&](const std::string& v) { o.admin_address = v; return std::string(); }};
  flags["--log-format"] = {true, [&](const std::string& v) {
                             if (v != "text" && v != "json") return fmt::format("invalid --log-format \"{}\" (text, json)", v);
                             o.log_format = v;
                             return std::string();
                           }};
  flags["--async-dir"] = {true, [&](const std::string& v) { o.async_dir = v; return std::string(); }};
  // mcrouter's own spellings, so pasted command lines work.
  flags["--max-client-outstanding-reqs"] = flags["--max-client-outstanding"];
  flags["--config-str"] = {true, [&](const std::string& v) { o.config = v; return std::string(); }};
  flags["--route-prefix"] = {true, [&](const std::string& v) { o.route_prefix = v; return std::string(); }};
  flags["-R"] = flags["--route-prefix"];
  flags["--log-level"] = {true, [&](const std::string& v) { o.log_level = v; return std::string(); }};
  // mcrouter's -v/--verbosity (glog's VLOG level) as a log level: 0 warn, 1 info, 2 or more debug. It sets
  // the same thing as --log-level; whichever comes last on the command line wins.
  flags["--verbosity"] = {true, [&](const std::string& v) {
                            unsigned level = 0;
                            if (!parse_uint(v, level, 1000000)) {
                              return fmt::format("invalid --verbosity \"{}\" (a number: 0 warn, 1 info, 2+ debug)", v);
                            }
                            o.log_level = verbosity_log_level(level);
                            return std::string();
                          }};
  flags["-v"] = flags["--verbosity"];
  flags["--validate-config"] = {false, [&](const std::string&) { o.validate_config = true; return std::string(); }};
  // replies (proxy/options.hpp "// replies"): mcrouter's toggles for the replies the proxy makes itself.
  auto toggle = [](bool& field) { return Flag{false, [&field](const std::string&) { field = true; return std::string(); }}; };
  flags["--enable-flush-cmd"] = toggle(o.enable_flush_cmd);
  flags["--send-invalid-route-to-default"] = toggle(o.send_invalid_route_to_default);
  flags["--allow-only-gets"] = toggle(o.allow_only_gets);
  flags["--enable-shutdown-cmd"] = toggle(o.enable_shutdown_cmd);
  flags["--help"] = {false, [&](const std::string&) { o.show_help = true; return std::string(); }};
  flags["-h"] = flags["--help"];
  flags["--version"] = {false, [&](const std::string&) { o.show_version = true; return std::string(); }};
  flags["-V"] = flags["--version"];

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--route-key") {
      if (i + 2 >= args.size()) {
        r.error = "--route-key needs two arguments: OP KEY";
        return r;
      }
      o.route_key = {args[i + 1], args[i + 2]};
      i += 2;
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        has_value = true;
      }
    } else if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-') {
      // "-p5000" style.
      name = arg.substr(0, 2);
      value = arg.substr(2);
      has_value = true;
    }
    auto it = flags.find(name);
    if (it == flags.end()) {
      r.error = arg.starts_with("-") ? fmt::format("unknown option \"{}\" (see --help)", name)
                                     : fmt::format("unexpected argument \"{}\" (see --help)", arg);
      return r;
    }
    if (it->second.takes_value && !has_value) {
      if (i + 1 >= args.size()) {
        r.error = fmt::format("option \"{}\" needs a value", name);
        return r;
      }
      value = args[++i];
    } else if (!it->second.takes_value && has_value) {
      r.error = fmt::format("option \"{}\" takes no value", name);
      return r;
    }
    if (auto err = it->second.apply(value); !err.empty()) {
      r.error = err;
      return r;
    }
  }
  return r;
}

}  // namespace mcrelay
