#pragma once
// Router: one worker's route trees (one per routing prefix) built from a loaded config, and the choice of
// tree for a key.
//
// Contract: built on the worker thread that uses it (its leaves are that worker's destinations), or on the
// control thread with inert destinations to validate a config. Throws config::ConfigError while building;
// select() never throws and never allocates.
#include <map>
#include <string>

#include "config/config.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

class Router {
 public:
  // big_value_threshold: --big-value-split-threshold; non-zero wraps every tree in a BigValueRoute.
  Router(const config::Config& config, DestinationProvider& destinations, const std::string& default_prefix,
         std::size_t big_value_threshold = 0);

  // The tree for this key; sets prefix_len to the length of the routing prefix the tree was chosen by (the
  // prefix is stripped before hashing and before the key goes upstream), or 0.
  RouteHandle& select(std::string_view key, std::uint16_t& prefix_len) const;
  // As select(), except for a key whose routing prefix ("/region/cluster/") names no route: nullptr (mcrouter
  // answers such a request with an error), or with invalid_to_default the default route, the prefix still
  // stripped (mcrouter's --send-invalid-route-to-default). A non-empty default_prefix names the route that
  // stands for the default one: a connection accepted on a pool's own listen address (twemproxy configs).
  RouteHandle* find(std::string_view key, std::uint16_t& prefix_len, bool invalid_to_default,
                    std::string_view default_prefix = {}) const;
  // The same, with the route of `default_prefix` (when configured) in place of the default route: a
  // connection accepted on a pool's own listen address (twemproxy configs). Empty: select(key, prefix_len).
  RouteHandle& select(std::string_view key, std::uint16_t& prefix_len, std::string_view default_prefix) const;
  // The route of a routing prefix, or nullptr.
  RouteHandlePtr tree(std::string_view prefix) const;
  RouteHandle& default_route() const noexcept { return *default_; }
  // Every distinct tree (broadcasts such as flush_all go to all of them).
  const std::vector<RouteHandlePtr>& trees() const noexcept { return trees_; }
  // What the route factory ignored while building (RouteFactory::warn), for the caller to log.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  RouteHandle* default_route(std::string_view default_prefix) const;

  std::map<std::string, RouteHandlePtr, std::less<>> by_prefix_;
  std::vector<RouteHandlePtr> trees_;
  RouteHandlePtr default_;
  std::vector<std::string> warnings_;
};

}  // namespace mcrelay
