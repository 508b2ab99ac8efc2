#include "proxy/admin_keys.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proxy/admin_guard.hpp"
#include "proxy/admin_options.hpp"
#include "proxy/route_lookup.hpp"
#include "proxy/stats_mcrouter.hpp"
#include "util/logging.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

namespace {

// A command's failure, answered as "ERROR: <what>".
struct AdminError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// mcrouter's hostid: a number identifying this host, from its first address that is neither loopback nor
// link-local (mcrouter hashes it with folly's IPAddress hash; mcrelay with FNV-1a: the same address gives
// the same number on every start, but not mcrouter's number). 0 when the host has no such address.
std::uint32_t host_id() {
  static const std::uint32_t id = [] {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return std::uint32_t{0};
    std::uint32_t h = 0;
    for (ifaddrs* a = list; a != nullptr && h == 0; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_LOOPBACK)) continue;
      const unsigned char* bytes = nullptr;
      std::size_t n = 0;
      if (a->ifa_addr->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        bytes = reinterpret_cast<const unsigned char*>(&in->sin_addr);
        n = 4;
        if (bytes[0] == 127 || (bytes[0] == 169 && bytes[1] == 254)) continue;
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
        bytes = reinterpret_cast<const unsigned char*>(&in6->sin6_addr);
        n = 16;
      } else {
        continue;
      }
      std::uint32_t fnv = 2166136261u;
      for (std::size_t i = 0; i < n; ++i) fnv = (fnv ^ bytes[i]) * 16777619u;
      h = fnv == 0 ? 1 : fnv;
    }
    ::freeifaddrs(list);
    return h;
  }();
  return id;
}

// mcrouter's -v level for a --log-level, and back.
unsigned verbosity_of(log::Level level) {
  return level == log::Level::debug ? 2 : level == log::Level::info ? 1 : 0;
}

Op op_arg(std::string_view cmd, std::string_view name) {
  auto op = parse_op_name(name);
  if (!op) throw AdminError(fmt::format("{}: unknown request {}", cmd, name));
  return *op;
}

// route_handles(op,key): mcrouter prints the route handle tree the request passes through, one handle per
// line, indented by depth. mcrelay's route handles do not expose their children, so the tree is flattened
// to three levels: the root, the route the key's prefix selects, and the destinations the request reaches
// (named as mcrouter names a DestinationRoute: pool, index in the pool, access point, timeout).
std::string route_handles(Worker& worker, Op op, std::string_view key) {
  Request req;
  req.op = op;
  req.key.assign(key);
  RouteHandle& route = worker.router().select(req.key, req.prefix_len);
  std::vector<std::string> dests;
  route.collect_destinations(req, dests);
  const LoadedConfig& cfg = worker.config();
  std::string out = fmt::format("root\n {}\n", route.type());
  for (const auto& d : dests) {
    std::string line;
    for (const auto& [name, pool] : cfg.config.pools) {
      for (std::size_t i = 0; i < pool.servers.size() && line.empty(); ++i) {
        const auto& s = pool.servers[i];
        if (s.text != d) continue;
        std::uint32_t timeout = pool.server_timeout_ms.value_or(worker.options().server_timeout_ms);
        std::string ap = mcrouter_server_key(s.host, s.port, timeout);
        ap.erase(ap.rfind('-'));  // the access point, without the timeout that stats servers appends
        line = fmt::format("  host|pool={}|id={}|ap={}|timeout={}ms|keep_routing_prefix={}", name, i, ap, timeout,
                           pool.keep_routing_prefix ? "true" : "false");
      }
      if (!line.empty()) break;
    }
    out += (line.empty() ? "  host|ap=" + d : line) + "\n";
  }
  return out;
}

std::string run_command(std::string_view cmd, const std::vector<std::string_view>& args, Worker& worker) {
  const LoadedConfig& cfg = worker.config();
  const Options& o = worker.options();
  if (cmd == "version") return "mcrelay " MCRELAY_VERSION;
  if (cmd == "config") {
    if (!cfg.file.empty()) return R"({"error": "config is loaded from file and not available"})";
    return cfg.config.text;
  }
  if (cmd == "config_age") {
    auto age = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - cfg.loaded_at);
    return std::to_string(age.count());
  }
  if (cmd == "config_file") {
    if (cfg.file.empty()) throw AdminError("no config file found!");
    return cfg.file;
  }
  if (cmd == "config_md5_digest") {
    if (cfg.md5.empty()) throw AdminError("no config md5 digest found!");
    return cfg.md5;
  }
  if (cmd == "config_sources_info") {
    nlohmann::json info = nlohmann::json::object();
    if (!cfg.file.empty()) info["config_file"] = cfg.file;
    info["mcrouter_config"] = cfg.md5;
    return info.dump(2);
  }
  if (cmd == "preprocessed_config") return cfg.config.root.dump(2);  // keys sorted, as mcrouter's
  if (cmd == "hostid") return std::to_string(host_id());
  if (cmd == "options") {
    if (args.size() > 1) throw AdminError("options: 0 or 1 args expected");
    auto options = mcrouter_options(o, worker.server().worker_count());
    if (args.size() == 1) {
      for (const auto& [name, value] : options) {
        if (name == args[0]) return value;
      }
      throw AdminError(fmt::format("options: option {} not found", args[0]));
    }
    std::string out;
    for (const auto& [name, value] : options) out += name + " " + value + "\n";
    return out;
  }
  if (cmd == "verbosity") {
    unsigned before = verbosity_of(log::level());
    if (args.empty()) return std::to_string(before);
    if (args.size() > 1) throw AdminError(fmt::format("expected at most 1 argument, got {}", args.size()));
    unsigned level = 0;
    auto [p, ec] = std::from_chars(args[0].data(), args[0].data() + args[0].size(), level);
    if (ec != std::errc() || p != args[0].data() + args[0].size()) throw AdminError("bad verbosity " + std::string(args[0]));
    log::Level l = log::Level::info;
    log::parse_level(verbosity_log_level(level), l);
    log::set_level(l);
    return fmt::format("{} -> {}", before, verbosity_of(l));
  }
  if (cmd == "route" || cmd == "route_handles") {
    if (args.size() != 2) throw AdminError(fmt::format("{}: 2 args expected", cmd));
    Op op = op_arg(cmd, args[0]);
    if (cmd == "route_handles") return route_handles(worker, op, args[1]);
    std::string joined;
    for (const auto& d : worker.router().destinations(op, args[1])) joined += (joined.empty() ? "" : "\r\n") + d;
    return joined;
  }
  throw AdminError(fmt::format("unknown command: {}", cmd));
}

}  // namespace

bool answer_admin_key(std::string_view key, Worker& worker, Reply& out) {
  if (!is_admin_key(key)) return false;
  std::string_view name = key.substr(kAdminKeyPrefix.size());
  // "<cmd>(<args>)": args split at commas, except route and route_handles, whose key may hold commas (only
  // the first comma separates the op from the key).
  std::string_view cmd = name;
  std::vector<std::string_view> args;
  if (auto paren = name.find('('); paren != std::string_view::npos && name.ends_with(')')) {
    cmd = name.substr(0, paren);
    std::string_view rest = name.substr(paren + 1, name.size() - paren - 2);
    if (!rest.empty()) {
      if (cmd.starts_with("route")) {
        if (auto comma = rest.find(','); comma != std::string_view::npos) {
          args = {rest.substr(0, comma), rest.substr(comma + 1)};
        }
      } else {
        for (std::size_t pos = 0;;) {
          auto comma = rest.find(',', pos);
          args.push_back(rest.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
          if (comma == std::string_view::npos) break;
          pos = comma + 1;
        }
      }
    }
  }
  std::string value;
  if (!worker.options().enable_admin_keys) {
    if (auto why = admin_key_disabled(cmd, args.size())) {
      out = Reply(Result::found, "ERROR: disabled: " + *why);
      return true;
    }
  }
  try {
    value = run_command(cmd, args, worker);
    if (!value.empty() && value.back() == '\n') value.pop_back();
  } catch (const std::exception& e) {
    value = std::string("ERROR: ") + e.what();
  }
  out = Reply(Result::found, std::move(value));
  return true;
}

}  // namespace mcrelay
