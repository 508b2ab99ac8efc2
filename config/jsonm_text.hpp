#pragma once
// JSONM string syntax helpers: backslash escapes, call parentheses and argument lists ("@m(a, @n(b,c))").
//
// Contract: pure, I/O-free functions used by the JSONM expander (config/jsonm.cpp) on the main/control thread
// while a config loads. split_call_args throws std::invalid_argument for unbalanced parentheses; nothing else
// throws (beyond std::bad_alloc). The rules follow mcrouter's ConfigPreprocessor so that the same strings split
// the same way: a backslash escapes the next byte everywhere.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcrelay::config::jsonm {

// Index of the first `c` in `s` that is not escaped by a backslash, or npos.
std::size_t find_unescaped(std::string_view s, char c);

// Appends `s` up to the first unescaped `c` to `out`, dropping escaping backslashes; returns the index of that
// `c`, or npos when there is none (everything appended) or `s` ends in a lone backslash.
std::size_t unescape_until(std::string_view s, std::string& out, char c);

// Index of the ')' matching the '(' at `open` (escaped parentheses do not count), or npos.
std::size_t matching_paren(std::string_view s, std::size_t open);

// An argument without leading whitespace and without trailing whitespace, except a trailing space that is
// escaped ("a\ " keeps its space).
std::string_view trim_arg(std::string_view s);

// The arguments of a call, from the text between its parentheses: split at top-level unescaped commas, each
// trimmed. "" is one empty argument (so "@m()" passes one ""), as in mcrouter.
std::vector<std::string_view> split_call_args(std::string_view inner);

}  // namespace mcrelay::config::jsonm
