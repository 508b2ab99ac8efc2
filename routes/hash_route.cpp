#include "routes/hash_route.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "routes/fan_out.hpp"
#include "routes/latest_route.hpp"
#include "routes/load_balancer_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"
#include "routes/twemproxy_hash_spec.hpp"

namespace mcrelay {

HashSelector make_hash_selector(RouteFactory& f, const nlohmann::json& spec, const std::string& path,
                                std::uint32_t n, const std::vector<double>& weights,
                                const std::vector<std::string>& server_ids, std::string_view default_func) {
  std::string func(default_func);
  std::string salt;
  std::vector<double> w = weights;
  if (spec.is_string()) {
    func = spec.get<std::string>();
  } else if (spec.is_object()) {
    func = f.get_string(spec, "hash_func", path, func);
    salt = f.get_string(spec, "salt", path);
  }
  if (n > 0) {  // Rendezvous, WeightedRendezvous, WeightedCh3Rv read their own keys (tags, weights object)
    if (auto fn = make_tagged_hash_function(f, func, spec, path, n)) return HashSelector(std::move(fn), std::move(salt));
  }
  if (spec.is_object()) {
    if (auto it = spec.find("weights"); it != spec.end()) {
      if (!it->is_array()) f.fail(path + ".weights", "expected a list of numbers in [0, 1]");
      w.clear();
      // mcrouter reads only the first n weights (one per server); entries past them are ignored unchecked.
      const std::size_t used = n > 0 ? std::min<std::size_t>(it->size(), n) : it->size();
      for (std::size_t i = 0; i < used; ++i) {
        const auto& v = (*it)[i];
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
          f.fail(fmt::format("{}.weights[{}]", path, i), "expected a number in [0, 1]");
        }
        w.push_back(v.get<double>());
      }
    }
  } else if (!spec.is_null() && !spec.is_string()) {
    f.fail(path, "expected a hash function name or an object {\"hash_func\", \"salt\"}");
  }
  if (n == 0) f.fail(path, "no children to hash over");
  if (is_twemproxy_hash_spec(func, spec)) {
    return HashSelector(make_twemproxy_hash(f, func, spec, path, n, server_ids), std::move(salt));
  }
  std::string error;
  auto fn = make_hash_function(func, n, w, server_ids, &error);
  if (!fn) f.fail(path, error);
  return HashSelector(std::move(fn), std::move(salt));
}

RouteHandlePtr HashRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (auto func = j.find("hash_func"); func != j.end() && func->is_string() && func->get<std::string>() == "LoadBalancer") {
    // mcrouter's hash function "LoadBalancer": a LoadBalancerRoute over the children.
    check_keys(f, j, path, "HashRoute",
               {"children", "hash_func", "algorithm", "salt", "failover_count", "load_ttl_ms",
                "default_server_load_percent", "seed"});
    auto children = f.build_children(f.require(j, "children", path), path + ".children");
    if (children.empty()) f.fail(path, "no children to hash over");
    return LoadBalancerRoute::build_over(f, j, path, std::move(children));
  }
  if (auto func = j.find("hash_func"); func != j.end() && func->is_string() && func->get<std::string>() == "Latest") {
    // mcrouter's hash function "Latest": a LatestRoute over the children, its options read from this object.
    check_keys(f, j, path, "HashRoute",
               {"children", "hash_func", "tags", "failover_count", "weights", "salt", "thread_local_failover",
                "seed", "failover_errors", "failover_limit", "failover_policy", "failover_tag",
                "enable_lease_pairing"});
    auto children = f.build_children(f.require(j, "children", path), path + ".children");
    if (children.empty()) f.fail(path, "no children to hash over");
    if (children.size() == 1) return children.front();  // mcrouter: a HashRoute of one child is that child
    return LatestRoute::build_over(f, j, path, std::move(children));
  }
  check_keys(f, j, path, "HashRoute", {"children", "hash", "hash_func", "salt", "tags", "weights", "weights_rv"});
  auto children = f.build_children(f.require(j, "children", path), path + ".children");
  // HashRoute takes hash_func and salt at the top level; accept a "hash" object too, like PoolRoute.
  nlohmann::json spec = nlohmann::json::object();
  if (auto it = j.find("hash"); it != j.end()) spec = *it;
  if (spec.is_string()) spec = nlohmann::json{{"hash_func", spec}};
  if (!spec.is_object()) f.fail(path + ".hash", "expected a hash function name or an object {\"hash_func\", \"salt\"}");
  if (auto it = j.find("hash_func"); it != j.end()) spec["hash_func"] = *it;
  if (auto it = j.find("salt"); it != j.end()) spec["salt"] = *it;
  for (const char* key : {"tags", "weights", "weights_rv"}) {  // mcrouter reads these at the top level
    if (auto it = j.find(key); it != j.end()) spec[key] = *it;
  }
  auto selector = make_hash_selector(f, spec, path, static_cast<std::uint32_t>(children.size()), {}, {}, "Ch3");
  return std::make_shared<HashRoute>(std::move(children), std::move(selector));
}

void HashRoute::route(const RequestPtr& req, ReplyFn done) {
  children_[selector_.select(*req)]->route(req, std::move(done));
}

void HashRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  fan_out(children_, req, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void HashRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  children_[selector_.select(req)]->collect_destinations(req, out);
}

}  // namespace mcrelay
