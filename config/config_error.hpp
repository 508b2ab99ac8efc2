#pragma once
// ConfigError: the one exception type of config loading, carrying the operator-facing message.
//
// Contract: thrown by the config loader (config/*) and by the route factory while building route trees from
// a loaded config. Config loading runs on the main/control thread, at start-up and on reload; exceptions
// are allowed there and only there: the caller catches ConfigError, prints what() (start-up) or keeps the
// old config and reports what() (reload). what() is the complete message, in one of two forms:
//   syntax errors:    "<source>:<line>:<col>: <reason>"    e.g. "config.json:14:3: expected ',' or '}'"
//   semantic errors:  "<source>: <json.path>: <reason>"    e.g. "config.json: pools.A.servers[2]: ..."
// (a semantic error about the document as a whole has no path: "<source>: <reason>").
// Build JSON paths with config/json_path.hpp so every component spells them the same way.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcrelay::config {

class ConfigError : public std::runtime_error {
 public:
  // A message used as-is (e.g. "cannot read /etc/mcrelay.json: No such file or directory").
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}

  // "<source>:<line>:<column>: <reason>" (line and column are 1-based).
  static ConfigError at_position(std::string_view source, std::size_t line, std::size_t column,
                                 std::string_view reason);
  // "<source>: <json_path>: <reason>", or "<source>: <reason>" when json_path is empty.
  static ConfigError at_path(std::string_view source, std::string_view json_path, std::string_view reason);

  // The parts of the message (empty / 0 where the form has none).
  const std::string& source() const noexcept { return source_; }
  const std::string& json_path() const noexcept { return json_path_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string source_;
  std::string json_path_;
  std::size_t line_ = 0;
  std::size_t column_ = 0;
  std::string reason_;
};

}  // namespace mcrelay::config
