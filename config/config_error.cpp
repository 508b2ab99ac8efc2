#include "config/config_error.hpp"

#include <fmt/format.h>

namespace mcrelay::config {

ConfigError ConfigError::at_position(std::string_view source, std::size_t line, std::size_t column,
                                     std::string_view reason) {
  ConfigError error(fmt::format("{}:{}:{}: {}", source, line, column, reason));
  error.source_ = source;
  error.line_ = line;
  error.column_ = column;
  error.reason_ = reason;
  return error;
}

ConfigError ConfigError::at_path(std::string_view source, std::string_view json_path, std::string_view reason) {
  ConfigError error(json_path.empty() ? fmt::format("{}: {}", source, reason)
                                      : fmt::format("{}: {}: {}", source, json_path, reason));
  error.source_ = source;
  error.json_path_ = json_path;
  error.reason_ = reason;
  return error;
}

}  // namespace mcrelay::config
