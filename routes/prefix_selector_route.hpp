#pragma once
// PrefixSelectorRoute {policies: {"key prefix": route}, wildcard}: route by key prefix.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and hands `done` to the selected route (no state, nothing to keep alive).
//
// Semantics (mcrouter's): the routing key (the key after its routing prefix "/region/cluster/", cut at the
// hash stop "|#|") is matched against the policy prefixes; the longest matching prefix wins (key prefixes are
// not stripped). No match goes to `wildcard`. With no match and no wildcard the request fails with
// "SERVER_ERROR no route for key" (Result::local_error; mcrouter answers an ErrorRoute reply there). At least
// one of policies/wildcard is required; an empty prefix "" is allowed and matches every key. mcrouter only
// allows this handle at the root of a route; mcrelay allows it anywhere. Broadcasts (flush_all) go to every
// distinct policy route and the wildcard (worst reply), since a flush is not about one key.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class PrefixSelectorRoute final : public RouteHandle, public std::enable_shared_from_this<PrefixSelectorRoute> {
 public:
  PrefixSelectorRoute(std::vector<std::pair<std::string, RouteHandlePtr>> policies, RouteHandlePtr wildcard);

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "PrefixSelectorRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  // The route for `routing_key`: the longest matching prefix's, else the wildcard (may be null).
  const RouteHandlePtr& select(std::string_view routing_key) const noexcept;

 private:
  std::vector<std::pair<std::string, RouteHandlePtr>> policies_;  // longest prefix first
  RouteHandlePtr wildcard_;
  std::vector<RouteHandlePtr> all_;  // every distinct route, for broadcasts
};

}  // namespace mcrelay
