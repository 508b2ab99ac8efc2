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
#include "protocol/op_names.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

// parse_op_name (the op of --route-key OP and __mcrouter__.route(OP,KEY)) is protocol/op_names.hpp's.
std::vector<std::string> route_destinations(const LoadedConfig& config, Op op, std::string_view key);

}  // namespace mcrelay
