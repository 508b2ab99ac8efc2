#pragma once
// Route handle types of mcrouter that mcrelay refuses on purpose, with a message saying why (rather than
// "unknown route handle type", which would suggest a typo).
//
// Contract: registered in routes/builtin_routes.cpp; build() always throws ConfigError through
// RouteFactory::fail() at config load, naming the handle and the reason.
//   CarbonLookasideRoute: caches replies of Carbon (Thrift) services in memcached; it needs Facebook's
//                         Carbon router and its request types, which memcached clients do not speak.
//   AxonLogRoute:         sends requests to Facebook's internal Axon logging service.
#include <string>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

struct UnsupportedRoutes {
  static RouteHandlePtr carbon_lookaside(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  static RouteHandlePtr axon_log(RouteFactory& f, const nlohmann::json& j, const std::string& path);
};

}  // namespace mcrelay
