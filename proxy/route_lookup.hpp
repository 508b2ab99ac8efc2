#pragma once
// Where a request would go, without sending it: `mcrelay --route-key OP KEY` and the admin /route page.
//
// Contract: any thread; builds the config's trees over named, inert destinations (cheap: no sockets), so it
// never touches a worker's state. Throws config::ConfigError only if the config does not build (it always
// does for a LoadedConfig, which was validated).
#include <optional>
#include <string>
#include <vector>

#include "proxy/loaded_config.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

// An operation as --route-key and __mcrouter__.route(<op>,<key>) take it: the command word a client writes
// ("get", "flush_all", "mg", ...) or mcrouter's operation name as in operation_policies ("flushall",
// "metaget", ...) when mcrelay has that operation. Empty for anything else ("lease-get": no lease commands).
std::optional<Op> parse_op_name(std::string_view name);
std::vector<std::string> route_destinations(const LoadedConfig& config, Op op, std::string_view key);

}  // namespace mcrelay
