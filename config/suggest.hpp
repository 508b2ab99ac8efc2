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

// The unknown-key policy (mcrouter ignores JSON keys it does not know, so mcrelay does too, except for
// likely typos): the known key that `key` most likely misspells, or nullopt when `key` is simply unknown.
// A misspelling differs from the known key in letter case only, or by an edit distance of at most 2 (at most
// 1 for known keys of 4 characters or fewer, so that short unrelated names such as "to" / "ttl" are not
// taken for one another). The caller fails on a misspelling ("did you mean ...?") and warns about, then
// ignores, any other unknown key.
std::optional<std::string> misspelt_key(std::string_view key, std::span<const std::string_view> known);

}  // namespace mcrelay::config
