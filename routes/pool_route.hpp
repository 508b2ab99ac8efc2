#pragma once
// PoolRoute {pool, hash: {hash_func, salt, weights}}: a HashRoute over the servers of one pool, the route
// almost every mcrouter config uses. Built by RouteFactory; route() runs on a worker thread.
#include "routes/hash_route.hpp"

namespace mcrelay {

class PoolRoute final : public HashRoute {
 public:
  PoolRoute(std::string pool_name, std::vector<RouteHandlePtr> destinations, HashSelector selector)
      : HashRoute(std::move(destinations), std::move(selector)), pool_name_(std::move(pool_name)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "PoolRoute"; }
  const std::string& pool_name() const noexcept { return pool_name_; }

 private:
  std::string pool_name_;
};

}  // namespace mcrelay
