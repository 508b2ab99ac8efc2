// The registry of every route handle mcrelay knows, by JSON type name. Registration is explicit (not
// static-initializer magic) so that no handle can silently drop out of a static link.
#include "routes/hash_route.hpp"
#include "routes/null_route.hpp"
#include "routes/pool_route.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

void register_builtin_routes(RouteRegistry& r) {
  r.add("PoolRoute", &PoolRoute::build);
  r.add("HashRoute", &HashRoute::build);
  r.add("NullRoute", &NullRoute::build);
  r.add("ErrorRoute", &ErrorRoute::build);
}

}  // namespace mcrelay
