#pragma once
// Relaxed JSON: the JSON dialect of mcrouter config files.
//
// Contract: called by the config loader (config/config.cpp) on the main/control thread, at start-up and on
// reload. Accepts standard JSON plus `//` line comments, `/* */` block comments and trailing commas before
// `]` / `}` (mcrouter's own examples and the Helm chart's generated configs have them); those characters
// inside strings (escapes included) are left alone. Throws ConfigError:
//   - "<source>:<line>:<col>: <reason>" for syntax errors (line and column, 1-based, of the offending token;
//     columns count UTF-8 characters), including an unterminated /* comment (at its opening).
// JSONM (macros, "@name(...)" calls, "%var%") is not interpreted here: config/jsonm.hpp expands it afterwards.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcrelay::config {

nlohmann::json parse_relaxed_json(std::string_view text, const std::string& source);

// The first step of parse_relaxed_json, exposed for tests: `text` with comments and trailing commas
// replaced by spaces (newlines kept), so every byte keeps its offset. Throws ConfigError for an
// unterminated /* comment.
std::string blank_json_extensions(std::string_view text, const std::string& source);

// 1-based line and column (in UTF-8 characters) of byte `offset` of `text` (offset may be text.size()).
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
TextPosition text_position(std::string_view text, std::size_t offset);

}  // namespace mcrelay::config
