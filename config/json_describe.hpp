#pragma once
// describe_json: a JSON value as an error message shows what was found ("got ...").
//
// Contract: pure helper for ConfigError reasons, used while loading a config (main/control thread) by the
// config loader and the route factory. Scalars are shown as JSON ("\"yes\"", "1.5", "null"); containers by
// kind ("an object", "a list"); long strings are shortened. No exceptions beyond std::bad_alloc.
#include <string>

#include <nlohmann/json.hpp>

namespace mcrelay::config {

inline std::string describe_json(const nlohmann::json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "a list";
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr std::size_t kMax = 60;
  if (value.is_string() && text.size() > kMax) {
    text.resize(kMax - 4);
    text += "...\"";
  }
  return text;
}

}  // namespace mcrelay::config
