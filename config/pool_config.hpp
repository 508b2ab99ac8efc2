#pragma once
// PoolConfig: one validated entry of the top-level "pools" object.
//
// Contract: parse_pool_config is called by the config loader (config/config.cpp) on the main/control thread
// at start-up and on reload; it throws ConfigError "<source>: pools.<name>[.<field>]: <reason>". It checks
// the options mcrelay itself interprets: servers (required, non-empty list of addresses, see
// config/server_address.hpp), weights (numbers in [0,1]), server_timeout / connect_timeout (positive
// integers, ms), keep_routing_prefix (boolean), protocol ("ascii", case-insensitive). Other keys stay in
// `raw` for whoever reads them (e.g. the route factory).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/server_address.hpp"

namespace mcrelay::config {

struct PoolConfig {
  std::string name;
  std::vector<ServerAddress> servers;  // non-empty, in config order
  std::vector<double> weights;         // empty unless "weights" given; each in [0,1]; as written (may be
                                       // shorter or longer than servers, as mcrouter allows)
  std::optional<std::uint32_t> server_timeout_ms, connect_timeout_ms;
  bool keep_routing_prefix = false;
  nlohmann::json raw;     // the pool object as written (other options are read elsewhere)
  std::string json_path;  // "pools.A"
};

// `pool` is the value of pools[name]; `json_path` is where it is ("pools.A").
PoolConfig parse_pool_config(const std::string& name, const nlohmann::json& pool, const std::string& json_path,
                             const std::string& source);

}  // namespace mcrelay::config
