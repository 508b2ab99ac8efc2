#include "proxy/admin_keys.hpp"

#include <chrono>

#include <fmt/format.h>

#include "proxy/proxy_server.hpp"
#include "proxy/route_lookup.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

bool answer_admin_key(std::string_view key, Worker& worker, Reply& out) {
  if (!key.starts_with(kAdminKeyPrefix)) return false;
  std::string_view name = key.substr(kAdminKeyPrefix.size());
  const LoadedConfig& cfg = worker.config();
  auto hit = [&](std::string value) {
    out = Reply(Result::found, std::move(value));
    return true;
  };
  if (name == "version") return hit("mcrelay " MCRELAY_VERSION);
  if (name == "config_file") return hit(cfg.file.empty() ? cfg.config.source : cfg.file);
  if (name == "config_md5_digest") return hit(cfg.md5);
  if (name == "config_age") {
    auto age = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - cfg.loaded_at);
    return hit(std::to_string(age.count()));
  }
  if (name == "options") {
    const Options& o = worker.options();
    return hit(fmt::format("port {}\r\nnum_proxies {}\r\nserver_timeout {}\r\nconnect_timeout {}\r\n"
                           "max_item_size {}\r\nconnections_per_server {}\r\nroute_prefix {}",
                           o.port, worker.server().workers().size(), o.server_timeout_ms, o.connect_timeout_ms, o.max_item_size,
                           o.connections_per_server, o.route_prefix));
  }
  if (name.starts_with("route(") && name.ends_with(")")) {
    std::string_view args = name.substr(6, name.size() - 7);
    auto comma = args.find(',');
    std::optional<Op> op;
    if (comma == std::string_view::npos || !(op = parse_op_name(args.substr(0, comma)))) {
      out = Reply::error(Result::client_error, "usage: __mcrouter__.route(<op>,<key>)");
      return true;
    }
    Request req;
    req.op = *op;
    req.key.assign(args.substr(comma + 1));
    std::vector<std::string> dests;
    worker.router().select(req.key, req.prefix_len).collect_destinations(req, dests);
    std::string joined;
    for (const auto& d : dests) joined += (joined.empty() ? "" : "\r\n") + d;
    return hit(std::move(joined));
  }
  out = Reply(Result::not_found);
  return true;
}

}  // namespace mcrelay
