#pragma once
// JSON paths for error messages: "pools.A.servers[2]", "route.children[1]", "routes[0].aliases[1]".
//
// Contract: pure string helpers used by the config loader and the route factory (main/control thread, while
// loading a config) so that every ConfigError names locations the same way. The top level is written as the
// bare key ("route", "pools"). A key that would read ambiguously in a dotted path (empty, or containing
// '.', '[', ']', '"', a space or a control character) is written JSON-quoted in brackets:
// pools["A.wildcard"]. No exceptions.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcrelay::config {

// `parent` + member `key` ("" + "route" -> "route"; "pools" + "A" -> "pools.A").
inline std::string json_path_key(std::string_view parent, std::string_view key) {
  bool plain = !key.empty();
  for (unsigned char c : key) {
    if (c <= ' ' || c == '.' || c == '[' || c == ']' || c == '"' || c == 0x7f) {
      plain = false;
      break;
    }
  }
  std::string path(parent);
  if (plain) {
    if (!path.empty()) path += '.';
    path += key;
  } else {
    path += '[';
    path += nlohmann::json(std::string(key)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    path += ']';
  }
  return path;
}

// `parent` + array element `index` ("route.children" + 1 -> "route.children[1]").
inline std::string json_path_index(std::string_view parent, std::size_t index) {
  std::string path(parent);
  path += '[';
  path += std::to_string(index);
  path += ']';
  return path;
}

}  // namespace mcrelay::config
