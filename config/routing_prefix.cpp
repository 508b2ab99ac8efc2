#include "config/routing_prefix.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcrelay::config {

void validate_routing_prefix(std::string_view prefix) {
  const auto invalid = [](const char* why) {
    throw std::invalid_argument(std::string("expected the form /region/cluster/ (") + why + ")");
  };
  if (prefix.empty()) invalid("it is empty");
  if (prefix.front() != '/') invalid("it must start with '/'");
  if (prefix.back() != '/') invalid("it must end with '/'");
  if (std::count(prefix.begin(), prefix.end(), '/') != 3) invalid("it must have exactly three '/'");
  if (prefix.find("//") != std::string_view::npos) invalid("its segments must not be empty");
  if (std::any_of(prefix.begin(), prefix.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
    invalid("it must not contain spaces or control characters");
  }
}

bool is_valid_routing_prefix(std::string_view prefix) noexcept {
  try {
    validate_routing_prefix(prefix);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace mcrelay::config
