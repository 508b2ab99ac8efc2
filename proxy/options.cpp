#include "proxy/options.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "config/suggest.hpp"
#include "proxy/option_table.hpp"

namespace mcrelay {
std::optional<std::uint64_t> parse_uint64(const std::string& text) {
  // Blanks around the number are allowed, as folly::to (mcrouter's parser) allows them: the Helm chart
  // passes "-p 5000" as ONE argument, so -p's value is " 5000".
  auto first = text.find_first_not_of(" \t");
  auto last = text.find_last_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  std::string s = text.substr(first, last - first + 1);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_loopback_address(const std::string& address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

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
  auto v = parse_uint64(digits);
  if (!v || *v > (1ull << 40)) return std::nullopt;
  return *v * mult;
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

std::vector<std::uint16_t> listen_ports(const Options& o) {
  return o.ports.empty() ? std::vector<std::uint16_t>{o.port} : o.ports;
}

std::size_t max_conns_from_rlimit() {
  // Descriptors the proxy needs besides client connections: listeners, upstream connections, the config
  // watcher, log and spool files. mcrouter reserves a fixed number the same way.
  constexpr std::size_t kReserved = 64;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  return std::max<std::size_t>(static_cast<std::size_t>(rl.rlim_cur), kReserved + 2) - kReserved;
}

std::string usage_text() {
  std::string text = R"(Usage: mcrelay [options]

A memcached proxy that takes mcrouter's command line and route config (JSON).

Listening:
  -p, --port PORT[,PORT...]   ports to listen on (default 5000; 0 picks a free port and logs it)
      --listen-addresses A,B  addresses to listen on (default 0.0.0.0)
      --listen-sock-fd FD     serve on this inherited listening socket instead of binding
      --tcp-listen-backlog N  listen(2) backlog (default: the system's maximum)
      --max-conns N           client connections in total; past it new ones are refused
                              (default 1: the open-files limit less 64; 0: no limit)
  -n, --connection-limit N    raise the open-files limit (RLIMIT_NOFILE) to N
TLS and Unix sockets (docs/tls.md):
      --ssl-port PORT[,PORT]  TLS listeners beside the plain ones (on the same --listen-addresses)
      --server-pem-cert-path F  certificate chain of the TLS listeners (PEM; re-read when the file changes)
      --server-pem-key-path F   its private key (PEM)
      --server-pem-ca-path F    CA of client certificates (checked when a client sends one)
      --ssl-require-peer-certs  mutual TLS: clients must present a certificate from that CA
      --pem-cert-path F, --pem-key-path F  client certificate for servers reached over TLS (pool "use_ssl")
      --pem-ca-path F         CA the servers' certificates must chain to (default: the system's CAs)
      --ssl-service-identity NAME  name the servers' certificates must carry (default: each server's host)
      --unix-domain-sock PATH listen on this Unix socket instead of TCP (as mcrouter)
      --tls-handshake-timeout-ms MS  a client's TLS handshake must finish within MS (default 5000)
      --tls-reload-interval-ms MS    how often the certificate files are checked for changes (default 5000)
Config:
      --config file:PATH      load the route config from PATH (watched for changes)
      --config '<json>'       use this JSON as the route config (wins over -f and --config-str)
  -f, --config-file PATH      same as --config file:PATH
      --config-str '<json>'   same as --config '<json>'
      --config-params A:1,B:2 variables (%A%, %B%) for the config's JSONM macros
      --disable-reload-configs  do not watch the config file (SIGHUP still reloads it)
      --reconfiguration-delay-ms MS  wait after a config file change before reading it (default 100)
  -R, --route-prefix PREFIX   default routing prefix (default /././)
      --validate-config[=exit|run]  check the config; exit: print the result and exit 0, or 3 if invalid;
                              run: check as strictly, then serve
      --route-key OP KEY      print the destinations a request would reach, then exit
Threads:
      --num-proxies N         worker threads (default: the CPUs this process may use, cgroup quota included)
      --proxy-threads N|auto  same as --num-proxies; auto: one per CPU this process may use
      --core-multiplier X     when X > 0: workers = CPUs * X (default 0)
      --core-multiplier-threshold N  apply --core-multiplier only with at least N CPUs (default 0)
Servers:
  -t, --server-timeout MS     upstream reply timeout in milliseconds (default 1000)
      --connect-timeout MS    upstream connect timeout in milliseconds (default 1000)
      --timeouts-until-tko N  consecutive timeouts/connect failures that mark a server down (default 3)
      --disable-tko-tracking  never mark a server down
  -r, --probe-timeout-initial MS  first probe of a down server after MS (default 3000; doubles, with jitter);
                              --retry-timeout MS is its deprecated spelling
      --probe-timeout-max MS  ceiling of the probe interval (default 60000)
      --connections-per-server N  upstream connections per worker per server (default 1)
      --reset-inactive-connection-interval MS  close a server connection idle for 1 to 2 intervals
                              (default 60000; 0: never)
  -a, --async-dir DIR         spool deletes that fail (server down/timeout) and replay them (default: off)
      --asynclog-disable      no delete spool, even with --async-dir
  -K, --keepalive-count N     TCP keepalive probes to a server before its connection is dropped (default 3;
                              0: no keepalive)
  -i, --keepalive-interval S  seconds between keepalive probes (default 10)
  -I, --keepalive-idle S      seconds without traffic before the first probe (default 30)
Clients:
      --max-client-outstanding-reqs N  pipelined requests per client before reading pauses (default 1024;
                              0: no limit); --max-client-outstanding is the same
      --max-item-size SIZE    largest value forwarded, e.g. 1048576, 1m, 512k (default 64m: larger values get
                              "SERVER_ERROR object too large for cache"; smaller ones are the server's to judge)
      --big-value-split-threshold N  split values over N bytes into chunks (default 0: off)
      --idle-timeout-ms MS    close a client idle this long (default 0: never)
      --max-client-queued-bytes SIZE  reply bytes a client may leave unread before it is closed (default 64m)
      --drain-timeout-ms MS   on SIGTERM, time allowed for in-flight requests (default 5000)
Operations:
  -L, --log-path FILE         log to FILE instead of stderr (reopened on SIGHUP and SIGUSR2)
      --log-level LEVEL       debug, info, warn or error (default info)
  -v, --verbosity N           mcrouter's spelling of the log level: 0 warn, 1 info, 2 or more debug
      --log-format FORMAT     text (default) or json (one object per line)
      --stats-root DIR        write mcrouter's stats files (libmcrouter.<service>.<port>.stats) there
      --stats-logging-interval MS  how often (default 10000; 0: never)
      --service-name NAME     the <service> of the stats file names (default mcrouter)
      --admin-port PORT       HTTP admin listener: /healthz /readyz /metrics /config /route (default: off)
      --admin-address ADDR    address of the admin listener (default 127.0.0.1; any other address needs
                              --admin-token-file)
      --admin-token-file FILE  bearer token the admin listener requires for all but /healthz and /readyz
                              (re-read when the file changes)
  -P, --pid-file FILE         write the process id to FILE and lock it (a second instance exits)
  -b, --background            run in the background once the config has loaded
  -h, --help                  this text
  -V, --version               print the version
Replies the proxy makes itself (docs/protocol.md):
      --enable-flush-cmd      serve flush_all (default: refused with "SERVER_ERROR Command disabled", as mcrouter)
      --send-invalid-route-to-default  a key whose routing prefix no route serves goes to the default route
                              (default: "SERVER_ERROR local error", as mcrouter)
      --allow-only-gets       answer every operation but get-like ones with its default reply, unrouted
                              (NOT_STORED, NOT_FOUND; mcrouter's testing option)
      --enable-shutdown-cmd   serve the `shutdown` command: drain and stop as on SIGTERM (default: refused)
      --enable-admin-keys     answer the admin keys and stats groups that reveal the config, its path, the
                              servers or the routing (__mcrouter__.config, .route, ..., stats servers)
                              (default: "ERROR: disabled ..." / "SERVER_ERROR Command disabled");
                              --disable-admin-keys keeps them off
      --disable-miss-on-get-errors  a get whose server failed gets the error (default: a miss, as mcrouter)
      --disable-miss-on-arith-errors  a failed incr/decr gets the error (default: NOT_FOUND, as mcrouter)
)";
  std::string ignored;
  for (const auto& spec : option_table()) {
    if (spec.effect == OptionEffect::no_effect) {
      ignored += spec.short_name ? fmt::format(" -{}/--{}", spec.short_name, spec.name) : fmt::format(" --{}", spec.name);
    }
  }
  // Not indented: these are names, not option lines with their values.
  auto wrap = [](const std::string& words) {
    std::string out, w;
    std::stringstream ss(words);
    std::size_t col = 0;
    while (ss >> w) {
      if (col > 0 && col + w.size() + 1 > 110) {
        out += "\n";
        col = 0;
      }
      out += (col == 0 ? "" : " ") + w;
      col += w.size() + 1;
    }
    return out + "\n";
  };
  text += "Accepted for mcrouter compatibility, without effect here (named in a warning at start-up):\n";
  text += wrap(ignored);
  text += "\nA value may follow its option (--port 5000, -p 5000) or be joined to it (--port=5000, -p5000);\n"
          "toggles also take =1/0, =true/false. A unique prefix of a long option is accepted, as by mcrouter.\n"
          "With no config, mcrelay serves in front of 127.0.0.1:11211.\n"
          "Exit status: 0 stopped cleanly; 1 could not listen; 2 bad command line or config at start-up;\n"
          "3 --validate-config found the config invalid.\n";
  return text;
}

namespace {

// folly::to<bool>'s spellings, which mcrouter's toggles accept after '='.
std::optional<bool> parse_toggle(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "1" || v == "true" || v == "yes" || v == "on" || v == "y" || v == "t") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v == "n" || v == "f") return false;
  return std::nullopt;
}

std::string unknown_option(const std::string& name) {
  std::vector<std::string_view> names;
  for (const auto& spec : option_table()) names.push_back(spec.name);
  auto bare = std::string_view(name).substr(name.starts_with("--") ? 2 : 1);
  auto guess = config::closest_match(bare, names, std::max<std::size_t>(2, bare.size() / 5));
  if (guess) return fmt::format("unknown option \"{}\"; did you mean \"--{}\"? (see --help)", name, *guess);
  return fmt::format("unknown option \"{}\" (see --help)", name);
}

}  // namespace

ParsedOptions parse_options(const std::vector<std::string>& args) {
  ParsedOptions r;
  Options& o = r.options;
  // `commandargs` in `stats` shows the command line, as mcrouter's does.
  for (const auto& a : args) o.command_args += (o.command_args.empty() ? "" : " ") + a;
  std::optional<std::string> config_flag;  // mcrouter: --config wins over -f/--config-str, whatever the order
  std::vector<std::string> shown = args;   // command_args_redacted: the config's values hidden
  auto hide_value = [&](const OptionSpec& spec, std::size_t at, bool joined) {
    static constexpr std::string_view kHidden[] = {"config", "config-file", "config-str", "config-params"};
    if (std::find(std::begin(kHidden), std::end(kHidden), spec.name) == std::end(kHidden)) return;
    if (!joined) {
      if (at + 1 < shown.size()) shown[at + 1] = "<hidden>";
    } else if (shown[at].starts_with("--")) {
      shown[at] = shown[at].substr(0, shown[at].find('=')) + "=<hidden>";
    } else {
      shown[at] = shown[at].substr(0, 2) + "<hidden>";
    }
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const OptionSpec* spec = nullptr;
    std::string typed, value;  // typed: the option as written (for messages)
    bool has_value = false;
    if (arg.starts_with("--") && arg.size() > 2) {
      auto eq = arg.find('=');
      typed = arg.substr(0, eq);
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        has_value = true;
      }
      std::string ambiguous;
      spec = find_long_option(std::string_view(typed).substr(2), &ambiguous);
      if (spec == nullptr) {
        r.error = ambiguous.empty() ? unknown_option(typed)
                                    : fmt::format("option \"{}\" is ambiguous: {}", typed, ambiguous);
        return r;
      }
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      typed = arg.substr(0, 2);
      spec = find_short_option(arg[1]);
      if (spec == nullptr) {
        r.error = fmt::format("unknown option \"{}\" (see --help)", typed);
        return r;
      }
      if (arg.size() > 2) {  // "-p5000"
        value = arg.substr(2);
        has_value = true;
      }
    } else {
      r.error = fmt::format("unexpected argument \"{}\" (see --help; mcrouter's flavor files are not supported)",
                            arg);
      return r;
    }

    switch (spec->arg) {
      case OptionArg::none:
        if (has_value) {
          r.error = fmt::format("option \"{}\" takes no value", typed);
          return r;
        }
        value = "1";
        break;
      case OptionArg::required:
        hide_value(*spec, i, has_value);
        if (!has_value) {
          if (i + 1 >= args.size()) {
            r.error = fmt::format("option \"{}\" needs a value", typed);
            return r;
          }
          value = args[++i];
        }
        break;
      case OptionArg::toggle: {
        // mcrouter: the bare flag flips the field's default; "=VALUE" sets the field to VALUE.
        bool field = !spec->toggle_default;
        if (has_value) {
          auto b = parse_toggle(value);
          if (!b) {
            r.error = fmt::format("invalid --{} \"{}\" (1/0, true/false, yes/no, on/off)", spec->name, value);
            return r;
          }
          field = *b;
        }
        value = field ? "1" : "0";
        break;
      }
      case OptionArg::optional:
        break;
      case OptionArg::two:
        if (has_value || i + 2 >= args.size()) {
          r.error = fmt::format("--{} needs two arguments: OP KEY", spec->name);
          return r;
        }
        value = args[i + 1] + " " + args[i + 2];
        i += 2;
        break;
    }

    switch (spec->effect) {
      case OptionEffect::refused:
        r.error = fmt::format("option \"--{}\" is not supported: {}", spec->name, refusal_reason(spec->name));
        return r;
      case OptionEffect::no_effect: {
        auto shown = fmt::format("--{}", spec->name);
        if (std::find(o.no_effect_options.begin(), o.no_effect_options.end(), shown) == o.no_effect_options.end()) {
          o.no_effect_options.push_back(shown);
        }
        break;
      }
      case OptionEffect::acts:
      case OptionEffect::mcrelay:
        if (auto err = spec->set(o, value); !err.empty()) {
          r.error = fmt::format("invalid --{} \"{}\" ({})", spec->name, value, err);
          return r;
        }
        if (spec->name == "config") config_flag = value;
        break;
    }
  }
  if (config_flag) o.config = *config_flag;
  for (const auto& a : shown) o.command_args_redacted += (o.command_args_redacted.empty() ? "" : " ") + a;
  if (o.admin_port >= 0) {
    // Secure by default: the admin listener reveals the config and the servers, so off loopback it must
    // know who is asking.
    boost::system::error_code ec;
    boost::asio::ip::make_address(o.admin_address, ec);
    if (ec) {
      r.error = fmt::format("invalid --admin-address \"{}\" (an IP address, e.g. 127.0.0.1 or 0.0.0.0)",
                            o.admin_address);
    } else if (!is_loopback_address(o.admin_address) && o.admin_token_file.empty()) {
      r.error = fmt::format("--admin-address {} is not a loopback address: the admin listener then needs "
                            "--admin-token-file FILE (a bearer token for everything but /healthz and /readyz)",
                            o.admin_address);
    }
  }
  if (r.error.empty()) r.error = check_tls_options(o);
  return r;
}

std::string check_tls_options(const Options& o) {
  if (!o.ssl_ports.empty() && (o.server_pem_cert_path.empty() || o.server_pem_key_path.empty())) {
    return "--ssl-port needs --server-pem-cert-path and --server-pem-key-path (the listeners' certificate and key)";
  }
  if (o.ssl_require_peer_certs && o.server_pem_ca_path.empty()) {
    return "--ssl-require-peer-certs needs --server-pem-ca-path (the CA that client certificates must chain to)";
  }
  if (o.pem_cert_path.empty() != o.pem_key_path.empty()) {
    return "--pem-cert-path and --pem-key-path go together (the client certificate shown to TLS servers and its key)";
  }
  if (!o.unix_domain_sock.empty() && o.listen_sock_fd >= 0) {
    return "--unix-domain-sock and --listen-sock-fd cannot be combined (each replaces the listeners)";
  }
  // mcrouter silently drops the TLS ports then; refusing is safer than serving plain text only.
  if (!o.ssl_ports.empty() && (o.listen_sock_fd >= 0 || !o.unix_domain_sock.empty())) {
    return "--ssl-port cannot be combined with --listen-sock-fd or --unix-domain-sock (they replace the TCP "
           "listeners, TLS ones included)";
  }
  return "";
}

}  // namespace mcrelay
