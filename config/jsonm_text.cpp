#include "config/jsonm_text.hpp"

#include <cctype>
#include <stdexcept>
#include <string>

namespace mcrelay::config::jsonm {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::size_t find_unescaped(std::string_view s, char c) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == c) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t unescape_until(std::string_view s, std::string& out, char c) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i == s.size()) return std::string_view::npos;
      out.push_back(s[i]);
    } else if (s[i] == c) {
      return i;
    } else {
      out.push_back(s[i]);
    }
  }
  return std::string_view::npos;
}

std::size_t matching_paren(std::string_view s, std::size_t open) {
  long depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (depth == 0) return i;
  }
  return std::string_view::npos;
}

std::string_view trim_arg(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) {
    // Count the backslashes right before the trailing space: an odd count escapes it (keep it and stop).
    std::size_t backslashes = 0;
    while (backslashes + 1 < s.size() && s[s.size() - 2 - backslashes] == '\\') ++backslashes;
    if (backslashes > 0) {
      if (backslashes % 2 == 0) s.remove_suffix(1);
      break;
    }
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split_call_args(std::string_view str) {
  std::vector<std::string_view> args;
  while (true) {
    if (str.empty()) {
      args.emplace_back();
      break;
    }
    std::size_t comma = find_unescaped(str, ',');
    if (comma == std::string_view::npos) {
      args.push_back(trim_arg(str));
      break;
    }
    // An argument that opens a parenthesis before the comma (a nested call) ends after its matching ')'.
    const std::size_t open = find_unescaped(str.substr(0, comma), '(');
    if (open != std::string_view::npos) {
      const std::size_t close = matching_paren(str, open);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("unbalanced parentheses in \"" + std::string(str) + "\"");
      }
      if (close == str.size() - 1) {
        args.push_back(trim_arg(str));
        break;
      }
      comma = close + 1;
      while (comma < str.size() && str[comma] != ',') ++comma;
      if (comma == str.size()) {
        throw std::invalid_argument("expected ',' after the ')' of a nested call in \"" + std::string(str) + "\"");
      }
    }
    args.push_back(trim_arg(str.substr(0, comma)));
    str.remove_prefix(comma + 1);
  }
  return args;
}

}  // namespace mcrelay::config::jsonm
