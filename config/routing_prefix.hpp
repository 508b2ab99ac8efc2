#pragma once
// Routing prefixes ("/region/cluster/"): the aliases of a route in mcrouter's "routes" list and the
// default route prefix (-R / --route-prefix, default "/././").
//
// Contract: pure checks used by the config loader (main/control thread) and by command-line handling.
// Format: starts with '/', exactly three '/', two non-empty segments, ends with '/'; segments may be
// wildcards ("." or "*", e.g. "/././", "/a/*/") and contain no whitespace or control characters.
// validate_routing_prefix throws std::invalid_argument with the reason only.
#include <string_view>

namespace mcrelay::config {

void validate_routing_prefix(std::string_view prefix);
bool is_valid_routing_prefix(std::string_view prefix) noexcept;

}  // namespace mcrelay::config
