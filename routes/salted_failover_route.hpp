#pragma once
// SaltedFailoverRoute {pool, hash, shadows, failover_errors, failover_policy, ...}: mcrouter's shorthand for
// a FailoverRoute whose children are the pool's PoolRoute first and then every server of the pool.
//
// Contract: build() is registered in routes/builtin_routes.cpp and runs at config load; it rewrites the
// JSON as mcrouter's McRouteHandleProvider does and builds a FailoverRoute (so the handle's type is
// "FailoverRoute"), throwing ConfigError like it. No state of its own.
//
// Rewrite: children = [{"type": "PoolRoute", "pool": <pool>, "hash": <hash>, "shadows": <shadows>},
// "Pool|<pool>" (or the inline pool object)]; every other key ("failover_errors", "failover_policy",
// "failover_limit", ...) is the FailoverRoute's. With the default policy (in order), a request that fails on
// its server is retried on the pool's servers in order; a failover policy (e.g. one with a salt) decides the
// order otherwise. `pool` is a pool name or an inline pool (config/pool_config.hpp).
#include <string>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

struct SaltedFailoverRoute {
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  // The FailoverRoute JSON that `j` stands for (no validation beyond the pool's form).
  static nlohmann::json rewrite(RouteFactory& f, const nlohmann::json& j, const std::string& path);
};

}  // namespace mcrelay
