#pragma once
// RoutingGroupRoute {routing_group_policies, default_policy}: sends a request to the route of its routing
// group (mcrouter's carbon routing groups), else to default_policy.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and hands `done` to the chosen route unchanged.
//
// Semantics (mcrouter's): the groups are "get_like" (get, gets, gat, gats, lease-get, metaget, mg, me),
// "update_like" (set, add, replace, append, prepend, cas, lease-set, ms), "delete_like" (delete, md) and
// "arithmetic_like" (incr, decr, ma); touch and the rest belong to no group and go to default_policy. A
// request with no route (no group route, no default_policy) is answered "SERVER_ERROR RoutingGroupRoute: no
// route for this request" (mcrouter answers an empty reply). Without routing_group_policies the handle is
// default_policy itself; a non-object is built as a route. At least one of the two keys is required.
#include <array>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class RoutingGroupRoute final : public RouteHandle {
 public:
  // Indexed by group: get_like, update_like, delete_like, arithmetic_like. Null: default_policy.
  using Groups = std::array<RouteHandlePtr, 4>;

  RoutingGroupRoute(Groups groups, RouteHandlePtr default_policy)
      : groups_(std::move(groups)), default_(std::move(default_policy)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "RoutingGroupRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  // The route for `op`, or null.
  RouteHandle* target(Op op) const noexcept;

 private:
  Groups groups_;
  RouteHandlePtr default_;
};

}  // namespace mcrelay
