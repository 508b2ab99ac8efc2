#include "proxy/route_lookup.hpp"

#include "routes/named_destination.hpp"
#include "routes/root_route.hpp"

namespace mcrelay {

std::vector<std::string> route_destinations(const LoadedConfig& config, Op op, std::string_view key) {
  NamedDestinationProvider names("lookup only");
  return RootRoute(config.config, names, config.route_prefix).destinations(op, key);
}

}  // namespace mcrelay
