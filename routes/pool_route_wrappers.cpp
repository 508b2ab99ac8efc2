#include "routes/pool_route_wrappers.hpp"

#include <memory>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/latest_route.hpp"
#include "routes/load_balancer_route.hpp"
#include "routes/pool_route.hpp"
#include "routes/rate_limit_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"
#include "routes/shadow_route.hpp"
#include "routes/slow_warm_up_route.hpp"

namespace mcrelay {

void wrap_slow_warmup(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                      std::vector<RouteHandlePtr>& destinations) {
  auto it = j.find("slow_warmup");
  if (it == j.end()) return;
  const std::string where = path + ".slow_warmup";
  if (!it->is_object()) f.fail(where, fmt::format("expected an object, got {}", config::describe_json(*it)));
  check_keys(f, *it, where, "slow_warmup", {"failoverTarget", "settings"});
  auto failover = f.build(f.require(*it, "failoverTarget", where), where + ".failoverTarget");
  auto settings = std::make_shared<const SlowWarmUpSettings>(
      it->contains("settings") ? SlowWarmUpSettings::parse(f, it->at("settings"), where + ".settings")
                               : SlowWarmUpSettings{});
  for (auto& d : destinations) d = std::make_shared<SlowWarmUpRoute>(std::move(d), failover, settings);
}

RouteHandlePtr wrap_rates(RouteFactory& f, const nlohmann::json& j, const std::string& path, RouteHandlePtr pool) {
  auto it = j.find("rates");
  if (it == j.end()) return pool;
  auto rates = RateLimitRoute::parse_rates(f, *it, path + ".rates");
  return std::make_shared<RateLimitRoute>(std::move(pool), rates);
}

RouteHandlePtr build_selection_pool(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                    const std::string& func, const nlohmann::json& spec,
                                    std::vector<RouteHandlePtr> destinations) {
  const std::string hash_path = path + ".hash";
  if (func == "Latest") {
    check_keys(f, spec, hash_path, "a \"Latest\" hash",
               {"hash_func", "tags", "failover_count", "weights", "salt", "thread_local_failover", "seed",
                "failover_errors", "failover_limit", "failover_policy", "failover_tag", "enable_lease_pairing"});
  } else {
    // "weights" and "tags" come from the pool (mcrouter merges them in); LoadBalancerRoute does not read them.
    check_keys(f, spec, hash_path, "a \"LoadBalancer\" hash",
               {"hash_func", "tags", "weights", "algorithm", "salt", "failover_count", "load_ttl_ms",
                "default_server_load_percent", "seed"});
  }
  auto shadows = PoolRoute::build_shadows(f, j, path, static_cast<std::uint32_t>(destinations.size()));
  for (std::size_t i = 0; i < destinations.size() && !shadows.empty(); ++i) {
    std::vector<PoolRoute::Shadow> mine;
    for (const auto& s : shadows) {
      if (s.index_begin <= i && i < s.index_end) mine.push_back(s);
    }
    if (!mine.empty()) {
      destinations[i] = std::make_shared<ShadowedRoute>(std::move(destinations[i]), static_cast<std::uint32_t>(i),
                                                        std::move(mine));
    }
  }
  if (destinations.size() == 1) return destinations.front();
  if (func == "Latest") return LatestRoute::build_over(f, spec, hash_path, std::move(destinations));
  return LoadBalancerRoute::build_over(f, spec, hash_path, std::move(destinations));
}

}  // namespace mcrelay
