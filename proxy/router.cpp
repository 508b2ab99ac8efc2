#include "proxy/router.hpp"

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "routes/big_value_route.hpp"

namespace mcrelay {

Router::Router(const config::Config& config, DestinationProvider& destinations, const std::string& default_prefix,
               std::size_t big_value_threshold) {
  RouteFactory factory(config, destinations);
  for (const auto& entry : config.routes) {
    RouteHandlePtr tree = factory.build(entry.route, entry.json_path);
    if (big_value_threshold > 0) tree = std::make_shared<BigValueRoute>(std::move(tree), big_value_threshold);
    trees_.push_back(tree);
    for (const auto& alias : entry.aliases) by_prefix_[alias] = tree;
  }
  factory.build_unreferenced_named_handles();
  warnings_ = factory.warnings();
  if (trees_.empty()) throw config::ConfigError(fmt::format("{}: no route configured", config.source));
  if (auto it = by_prefix_.find(default_prefix); it != by_prefix_.end()) {
    default_ = it->second;
  } else {
    default_ = trees_.front();
  }
}

RouteHandle& Router::select(std::string_view key, std::uint16_t& prefix_len) const {
  prefix_len = 0;
  std::size_t pl = routing_prefix_length(key);
  if (pl > 0 && pl < key.size()) {
    if (auto it = by_prefix_.find(key.substr(0, pl)); it != by_prefix_.end()) {
      prefix_len = static_cast<std::uint16_t>(pl);
      return *it->second;
    }
  }
  return *default_;
}

RouteHandle* Router::find(std::string_view key, std::uint16_t& prefix_len, bool invalid_to_default,
                          std::string_view default_prefix) const {
  prefix_len = 0;
  std::size_t pl = routing_prefix_length(key);
  if (pl == 0 || pl >= key.size()) return default_route(default_prefix);
  if (auto it = by_prefix_.find(key.substr(0, pl)); it != by_prefix_.end()) {
    prefix_len = static_cast<std::uint16_t>(pl);
    return it->second.get();
  }
  if (!invalid_to_default) return nullptr;
  prefix_len = static_cast<std::uint16_t>(pl);
  return default_route(default_prefix);
}

RouteHandle* Router::default_route(std::string_view default_prefix) const {
  if (!default_prefix.empty()) {
    if (auto it = by_prefix_.find(default_prefix); it != by_prefix_.end()) return it->second.get();
  }
  return default_.get();
}

RouteHandle& Router::select(std::string_view key, std::uint16_t& prefix_len, std::string_view default_prefix) const {
  RouteHandle& chosen = select(key, prefix_len);
  if (default_prefix.empty() || prefix_len != 0) return chosen;
  auto it = by_prefix_.find(default_prefix);
  return it != by_prefix_.end() ? *it->second : chosen;
}

RouteHandlePtr Router::tree(std::string_view prefix) const {
  auto it = by_prefix_.find(prefix);
  return it != by_prefix_.end() ? it->second : nullptr;
}

}  // namespace mcrelay
