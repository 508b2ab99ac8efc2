#pragma once
// "Did you mean ...?" suggestions for misspelled config keys and names.
//
// Contract: pure functions used while loading a config (main/control thread) by the config loader and the
// route factory (e.g. for an unknown route handle type). No exceptions beyond std::bad_alloc.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mcrelay::config {

// Optimal-string-alignment distance (insertions, deletions, substitutions and adjacent transpositions each
// cost 1), comparing ASCII letters case-insensitively: "rotue" -> "route" is 1, "Pools" -> "pools" is 0.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` if its distance is at most `max_distance` (the first one on ties).
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates,
                                         std::size_t max_distance = 2);

}  // namespace mcrelay::config
