#include "routes/unsupported_routes.hpp"

#include "routes/route_factory.hpp"

namespace mcrelay {

RouteHandlePtr UnsupportedRoutes::carbon_lookaside(RouteFactory& f, const nlohmann::json&, const std::string& path) {
  f.fail(path,
         "CarbonLookasideRoute is not supported: it caches the replies of Carbon (Thrift-based) services, "
         "which only Facebook's Carbon router speaks; mcrelay serves memcached's protocols");
}

RouteHandlePtr UnsupportedRoutes::axon_log(RouteFactory& f, const nlohmann::json&, const std::string& path) {
  f.fail(path,
         "AxonLogRoute is not supported: it logs to Axon, a Facebook-internal service");
}

}  // namespace mcrelay
