#include "routes/routing_group_route.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

constexpr std::array<std::string_view, 4> kGroups = {"get_like", "update_like", "delete_like", "arithmetic_like"};

int group_of(Op op) noexcept {
  switch (op_kind(op)) {
    case OpKind::get:
      return 0;
    case OpKind::update:
      return 1;
    case OpKind::del:
      return 2;
    case OpKind::arith:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

RouteHandlePtr RoutingGroupRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) return f.build(j, path);
  check_keys(f, j, path, "RoutingGroupRoute", {"routing_group_policies", "default_policy"});
  auto policies = j.find("routing_group_policies");
  auto def = j.find("default_policy");
  if (policies == j.end() && def == j.end()) {
    f.fail(path, "RoutingGroupRoute needs \"default_policy\" or \"routing_group_policies\"");
  }
  RouteHandlePtr default_policy;
  if (def != j.end()) default_policy = f.build(*def, path + ".default_policy");
  if (policies == j.end()) return default_policy;
  const std::string ppath = path + ".routing_group_policies";
  if (!policies->is_object()) f.fail(ppath, "expected an object mapping routing groups to routes");
  Groups groups;
  for (const auto& [name, route] : policies->items()) {
    auto it = std::find(kGroups.begin(), kGroups.end(), name);
    if (it == kGroups.end()) {
      f.fail(ppath, fmt::format("\"{}\" is not a routing group (expected one of {})", name, fmt::join(kGroups, ", ")));
    }
    groups[static_cast<std::size_t>(it - kGroups.begin())] = f.build(route, ppath + "." + name);
  }
  return std::make_shared<RoutingGroupRoute>(std::move(groups), std::move(default_policy));
}

RouteHandle* RoutingGroupRoute::target(Op op) const noexcept {
  const int g = group_of(op);
  if (g >= 0 && groups_[static_cast<std::size_t>(g)]) return groups_[static_cast<std::size_t>(g)].get();
  return default_.get();
}

void RoutingGroupRoute::route(const RequestPtr& req, ReplyFn done) {
  if (RouteHandle* t = target(req->op)) {
    t->route(req, std::move(done));
    return;
  }
  done(Reply::error(Result::local_error, "RoutingGroupRoute: no route for this request"));
}

void RoutingGroupRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  if (RouteHandle* t = target(req->op)) {
    t->broadcast(req, std::move(done));
    return;
  }
  done(default_reply(req->op));
}

void RoutingGroupRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (RouteHandle* t = target(req.op)) t->collect_destinations(req, out);
}

}  // namespace mcrelay
