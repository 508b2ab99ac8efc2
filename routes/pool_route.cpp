#include "routes/pool_route.hpp"

#include "routes/route_factory.hpp"

namespace mcrelay {

RouteHandlePtr PoolRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  const auto& pool_spec = f.require(j, "pool", path);
  if (!pool_spec.is_string()) f.fail(path + ".pool", "expected the name of a pool");
  const auto& pool = f.pool(pool_spec.get_ref<const std::string&>(), path + ".pool");
  auto destinations = f.pool_destinations(pool);
  std::vector<std::string> ids;
  for (const auto& s : pool.servers) ids.push_back(s.text);
  nlohmann::json spec = nlohmann::json::object();
  if (auto it = j.find("hash"); it != j.end()) spec = *it;
  // mcrouter: a pool with weights hashes with WeightedCh3 unless told otherwise.
  std::string_view default_func = pool.weights.empty() ? "Ch3" : "WeightedCh3";
  auto selector = make_hash_selector(f, spec, path + ".hash", static_cast<std::uint32_t>(destinations.size()),
                                     pool.weights, ids, default_func);
  return std::make_shared<PoolRoute>(pool.name, std::move(destinations), std::move(selector));
}

}  // namespace mcrelay
