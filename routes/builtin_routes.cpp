// The registry of every route handle mcrelay knows, by JSON type name. Registration is explicit (not
// static-initializer magic) so that no handle can silently drop out of a static link.
#include "routes/all_route.hpp"
#include "routes/blackhole_route.hpp"
#include "routes/dev_null_route.hpp"
#include "routes/failover_route.hpp"
#include "routes/failover_with_exptime_route.hpp"
#include "routes/hash_route.hpp"
#include "routes/key_split_route.hpp"
#include "routes/l1l2_cache_route.hpp"
#include "routes/l1l2_size_split_route.hpp"
#include "routes/latency_injection_route.hpp"
#include "routes/latest_route.hpp"
#include "routes/load_balancer_route.hpp"
#include "routes/logging_route.hpp"
#include "routes/migrate_route.hpp"
#include "routes/miss_failover_route.hpp"
#include "routes/modify_exptime_route.hpp"
#include "routes/modify_key_route.hpp"
#include "routes/null_route.hpp"
#include "routes/operation_selector_route.hpp"
#include "routes/original_client_hash_route.hpp"
#include "routes/pool_route.hpp"
#include "routes/prefix_selector_route.hpp"
#include "routes/random_route.hpp"
#include "routes/rate_limit_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/salted_failover_route.hpp"
#include "routes/shadow_route.hpp"
#include "routes/routing_group_route.hpp"
#include "routes/unsupported_routes.hpp"
#include "routes/warm_up_route.hpp"

namespace mcrelay {

void register_builtin_routes(RouteRegistry& r) {
  r.add("PoolRoute", &PoolRoute::build);
  r.add("HashRoute", &HashRoute::build);
  r.add("NullRoute", &NullRoute::build);
  r.add("ErrorRoute", &ErrorRoute::build);
  r.add("FailoverRoute", &FailoverRoute::build);
  r.add("FailoverWithExptimeRoute", &FailoverWithExptimeRoute::build);
  r.add("MissFailoverRoute", &MissFailoverRoute::build);
  r.add("AllSyncRoute", &AllRoute::build<FanOutMerge::worst>);
  r.add("AllAsyncRoute", &AllRoute::build<FanOutMerge::async>);
  r.add("AllInitialRoute", &AllRoute::build<FanOutMerge::first>);
  r.add("AllMajorityRoute", &AllRoute::build<FanOutMerge::majority>);
  r.add("AllFastestRoute", &AllRoute::build<FanOutMerge::fastest>);
  r.add("OperationSelectorRoute", &OperationSelectorRoute::build);
  r.add("PrefixPolicyRoute", &OperationSelectorRoute::build);  // its name in older mcrouter configs
  r.add("PrefixSelectorRoute", &PrefixSelectorRoute::build);
  r.add("LatestRoute", &LatestRoute::build);
  r.add("RandomRoute", &RandomRoute::build);
  r.add("WarmUpRoute", &WarmUpRoute::build);
  r.add("ModifyExptimeRoute", &ModifyExptimeRoute::build);
  r.add("DevNullRoute", &DevNullRoute::build);
  r.add("BlackholeRoute", &BlackholeRoute::build);
  r.add("ModifyKeyRoute", &ModifyKeyRoute::build);
  r.add("KeySplitRoute", &KeySplitRoute::build);
  r.add("LoadBalancerRoute", &LoadBalancerRoute::build);
  r.add("RoutingGroupRoute", &RoutingGroupRoute::build);
  r.add("OriginalClientHashRoute", &OriginalClientHashRoute::build);
  r.add("RateLimitRoute", &RateLimitRoute::build);
  r.add("SaltedFailoverRoute", &SaltedFailoverRoute::build);
  r.add_list("ShadowRoute", &ShadowedRoute::build_list);
  r.add("LatencyInjectionRoute", &LatencyInjectionRoute::build);
  r.add("LoggingRoute", &LoggingRoute::build);
  r.add("CarbonLookasideRoute", &UnsupportedRoutes::carbon_lookaside);
  r.add("AxonLogRoute", &UnsupportedRoutes::axon_log);
  r.add("MigrateRoute", &MigrateRoute::build);
  r.add("L1L2CacheRoute", &L1L2CacheRoute::build);
  r.add("L1L2SizeSplitRoute", &L1L2SizeSplitRoute::build);
}

}  // namespace mcrelay
