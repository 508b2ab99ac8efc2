#include "routes/salted_failover_route.hpp"

#include "routes/route_factory.hpp"

namespace mcrelay {

nlohmann::json SaltedFailoverRoute::rewrite(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "SaltedFailoverRoute needs an object with \"pool\"");
  const auto& pool = f.require(j, "pool", path);
  if (!pool.is_string() && !pool.is_object()) f.fail(path + ".pool", "pool needs to be either a string or an object");
  nlohmann::json normal = {{"type", "PoolRoute"}, {"pool", pool}};
  if (auto it = j.find("shadows"); it != j.end()) {
    if (!it->is_array()) f.fail(path + ".shadows", "shadows must be an array");
    normal["shadows"] = *it;
  }
  if (auto it = j.find("shadow_policy"); it != j.end()) normal["shadow_policy"] = *it;
  if (auto it = j.find("hash"); it != j.end()) normal["hash"] = *it;
  nlohmann::json out = j;
  for (const char* key : {"pool", "shadows", "shadow_policy", "hash", "name"}) out.erase(key);
  out["type"] = "FailoverRoute";
  nlohmann::json all = pool.is_string() ? nlohmann::json("Pool|" + pool.get<std::string>()) : pool;
  if (all.is_object()) all["type"] = "Pool";
  out["children"] = nlohmann::json::array({normal, all});
  return out;
}

RouteHandlePtr SaltedFailoverRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  return f.build(rewrite(f, j, path), path);
}

}  // namespace mcrelay
