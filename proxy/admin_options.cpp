#include "proxy/admin_options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mcrelay {

std::vector<std::pair<std::string, std::string>> mcrouter_options(const Options& o, std::size_t workers) {
  const bool from_file = o.config.starts_with("file:");
  std::vector<std::pair<std::string, std::string>> out = {
      // mcrouter's McrouterOptions, in its order.
      {"async_spool", o.async_dir},
      {"num_proxies", std::to_string(workers)},
      {"config", o.config},
      {"config_file", from_file ? o.config.substr(5) : std::string()},
      {"config_str", from_file ? std::string() : o.config},
      {"default_route", o.route_prefix},
      {"probe_delay_initial_ms", std::to_string(o.probe_timeout_initial_ms)},
      {"probe_delay_max_ms", std::to_string(o.probe_timeout_max_ms)},
      {"failures_until_tko", std::to_string(o.timeouts_until_tko)},
      {"server_timeout_ms", std::to_string(o.server_timeout_ms)},
      {"connect_timeout_ms", std::to_string(o.connect_timeout_ms)},
      // mcrouter's standalone options.
      {"ports", std::to_string(o.port)},
      {"listen_addresses", fmt::format("{}", fmt::join(o.listen_addresses, ","))},
      {"max_conns", std::to_string(o.max_conns)},
      {"max_client_outstanding_reqs", std::to_string(o.max_client_outstanding)},
      // mcrelay's own.
      {"max_item_size", std::to_string(o.max_item_size)},
      {"connections_per_server", std::to_string(o.connections_per_server)},
      {"idle_timeout_ms", std::to_string(o.idle_timeout_ms)},
      {"drain_timeout_ms", std::to_string(o.drain_timeout_ms)},
      {"max_client_queued_bytes", std::to_string(o.max_client_queued_bytes)},
      {"admin_port", std::to_string(o.admin_port)},
      {"admin_address", o.admin_address},
      {"log_format", o.log_format},
      {"log_level", o.log_level},
  };
  return out;
}

}  // namespace mcrelay
