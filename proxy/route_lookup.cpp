#include "proxy/route_lookup.hpp"

#include "routes/named_destination.hpp"
#include "routes/root_route.hpp"
#include "routes/operation_selector_route.hpp"

namespace mcrelay {
std::optional<Op> parse_op_name(std::string_view name) {
  // The command word first ("get", "flush_all", "mg", ...), then mcrouter's operation names as
  // operation_policies spells them ("flushall", "metaget", ...), through OperationSelectorRoute's own
  // Op -> name mapping, so that both tables cannot drift apart. Several ops share a policy name ("get" for
  // get and mg); the command word has matched first for those.
  for (int i = 0; i < kOpCount; ++i) {
    if (op_name(static_cast<Op>(i)) == name) return static_cast<Op>(i);
  }
  if (name.empty()) return std::nullopt;
  for (int i = 0; i < kOpCount; ++i) {
    if (OperationSelectorRoute::policy_name(static_cast<Op>(i)) == name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

std::vector<std::string> route_destinations(const LoadedConfig& config, Op op, std::string_view key) {
  NamedDestinationProvider names("lookup only");
  return RootRoute(config.config, names, config.route_prefix).destinations(op, key);
}

}  // namespace mcrelay
