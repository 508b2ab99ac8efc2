#pragma once
// The PoolRoute options that wrap other routes around the pool's servers or around the pool itself, in
// mcrouter's order (its wrapPoolDestinations() and makePoolRoute()):
//   server -> SlowWarmUpRoute (slow_warmup) -> shadows -> the pool's hash (or LatestRoute for
//   "hash": "Latest", LoadBalancerRoute for "LoadBalancer") -> RateLimitRoute (rates).
// (bucketize changes what the pool hashes, routes/key_bucketizer.hpp; it wraps nothing.)
//
// Contract: called by PoolRoute::build at config load, on the thread building the tree; they throw
// ConfigError through the factory. The routes they build run on that tree's worker thread.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

// `slow_warmup` of the PoolRoute object `j`: {"failoverTarget": route, "settings": {...}}
// (routes/slow_warm_up_route.hpp). Each destination is wrapped in a SlowWarmUpRoute; the failover target is
// built once and shared, as mcrouter does. Nothing happens without the key.
void wrap_slow_warmup(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                      std::vector<RouteHandlePtr>& destinations);

// `rates` of the PoolRoute object `j` (RateLimitRoute's rates): the whole pool behind one RateLimitRoute,
// as mcrouter wraps its pool route. Returns `pool` itself without the key.
RouteHandlePtr wrap_rates(RouteFactory& f, const nlohmann::json& j, const std::string& path, RouteHandlePtr pool);

// `"hash": "Latest"` and `"hash": "LoadBalancer"` (`func`), mcrouter's HashRoute "hash functions" that are
// routes: a LatestRoute (or LoadBalancerRoute) over the pool's destinations, its options (failover_count,
// salt, thread_local_failover, failover_errors, ...; algorithm, ...) read from the hash object `spec`, which
// also carries the pool's weights and tags as mcrouter merges them. `shadows` of `j` wrap the destinations
// by index (mcrouter's ShadowRoute per destination). One destination is returned as is (mcrouter's
// HashRoute of one child).
RouteHandlePtr build_selection_pool(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                    const std::string& func, const nlohmann::json& spec,
                                    std::vector<RouteHandlePtr> destinations);

}  // namespace mcrelay
