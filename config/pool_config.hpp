#pragma once
// PoolConfig: one validated entry of the top-level "pools" object.
//
// Contract: parse_pool_config is called by the config loader (config/config.cpp) on the main/control thread
// at start-up and on reload; it throws ConfigError "<source>: pools.<name>[.<field>]: <reason>". It checks
// the options mcrelay itself interprets: servers (a non-empty list of addresses, see
// config/server_address.hpp) or discover (below; exactly one of the two), weights (numbers in [0,1]),
// server_timeout / connect_timeout (positive integers, ms), keep_routing_prefix (boolean), protocol
// ("ascii", case-insensitive), port_override (mcrouter's: 1..65535, replaces every server's port; servers'
// `text` shows the port used). Other keys stay in `raw` for whoever reads them (e.g. the route factory).
//
// Discovered pools: instead of "servers", a pool may name a Kubernetes headless Service (e.g. the one in
// front of a memcached StatefulSet) whose members are looked up in DNS:
//   "pools": {"A": {"discover": {
//       "service": "mycache-memcached.default.svc.cluster.local",  // required; a fully-qualified DNS name
//       "port": 11211,              // optional, default 11211: the members' port (SRV ports are not used)
//       "port_name": "memcache",    // optional: query SRV _memcache._tcp.<service> instead of SRV <service>
//       "refresh_ms": 5000,         // optional, default 5000, at least 100: how often DNS is asked again
//       "scale_down_grace": 3       // optional, default 3: consecutive refreshes the highest members must be
//   }}}                             //   missing from DNS before the list shrinks (0: shrink at once)
// Such a PoolConfig has `discover` set and `servers` EMPTY: proxy/discovery_config.hpp
// (expand_discovered_pools) fills `servers` from DNS before routes are built; nothing else may build routes
// from an unexpanded discovered pool (the route factory rejects pools without servers). The member list
// itself (ordering by StatefulSet ordinal, gaps, scale-down hysteresis) is described in proxy/discovery.hpp.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/server_address.hpp"

namespace mcrelay::config {

inline constexpr std::uint32_t kDefaultDiscoverRefreshMs = 5000;
inline constexpr std::uint32_t kMinDiscoverRefreshMs = 100;
inline constexpr unsigned kDefaultScaleDownGrace = 3;

// A pool's "discover" object (see the header comment).
struct DiscoverConfig {
  std::string service;    // as written, without a trailing dot: "mycache-memcached.default.svc.cluster.local"
  std::uint16_t port = kDefaultMemcachedPort;
  std::string port_name;  // empty: SRV records are looked up at `service` itself
  std::uint32_t refresh_ms = kDefaultDiscoverRefreshMs;
  unsigned scale_down_grace = kDefaultScaleDownGrace;

  bool operator==(const DiscoverConfig&) const = default;
};

struct PoolConfig {
  std::string name;
  std::vector<ServerAddress> servers;  // in config order; non-empty unless `discover` is set (then empty
                                       // until expand_discovered_pools fills it)
  std::optional<DiscoverConfig> discover;  // set iff the pool was given as "discover"
  std::vector<double> weights;         // empty unless "weights" given; each in [0,1]; as written (may be
                                       // shorter or longer than servers, as mcrouter allows)
  std::optional<std::uint32_t> server_timeout_ms, connect_timeout_ms;
  bool keep_routing_prefix = false;
  bool use_ssl = false;   // "use_ssl": true (mcrouter's): TLS to every server of the pool (docs/tls.md)
  nlohmann::json raw;     // the pool object as written (other options are read elsewhere)
  std::string json_path;  // "pools.A"
};

// `pool` is the value of pools[name]; `json_path` is where it is ("pools.A").
PoolConfig parse_pool_config(const std::string& name, const nlohmann::json& pool, const std::string& json_path,
                             const std::string& source);

// Inline pools (mcrouter's PoolFactory::parsePool): wherever a route names a pool it may give the pool
// itself, an object with a string "name" and the same fields as an entry of "pools":
//   {"type": "PoolRoute", "pool": {"name": "A", "servers": ["h1:11211", "h2:11211"]}}
//   {"type": "FailoverRoute", "children": {"type": "Pool", "name": "B", "servers": [...]}}
// collect_inline_pools walks a route (or named handle) JSON `j` at `json_path` and adds to `pools` every
// object that is such a pool: any object with "type": "Pool", and any object given as the value of a
// "pool" key. They get the name they declare, so that the route factory finds them as it finds the pools
// of "pools" (and stats, `__mcrouter__.route` and the validator see them too). The same name given twice
// with the same fields (a "pools" entry, or another inline copy) is one pool; with different fields it is
// an error naming both places (mcrouter would use each copy for the route it appears in; mcrelay pools
// are identified by name). Throws ConfigError like parse_pool_config. Called by the config loader after
// "pools" is loaded.
using PoolMap = std::map<std::string, PoolConfig, std::less<>>;
void collect_inline_pools(const nlohmann::json& j, const std::string& json_path, const std::string& source,
                          PoolMap& pools);

}  // namespace mcrelay::config
