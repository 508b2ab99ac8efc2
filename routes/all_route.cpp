#include "routes/all_route.hpp"

#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

std::string_view AllRoute::type_name(FanOutMerge policy) noexcept {
  switch (policy) {
    case FanOutMerge::worst: return "AllSyncRoute";
    case FanOutMerge::first: return "AllInitialRoute";
    case FanOutMerge::async: return "AllAsyncRoute";
    case FanOutMerge::majority: return "AllMajorityRoute";
    case FanOutMerge::fastest: return "AllFastestRoute";
  }
  return "AllSyncRoute";
}

RouteHandlePtr AllRoute::build_with(FanOutMerge policy, RouteFactory& f, const nlohmann::json& j,
                                    const std::string& path) {
  check_keys(f, j, path, type_name(policy), {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllRoute>(policy, std::move(children));
}

void AllRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  // A re-entry guard: a child that answers synchronously could, through its caller, drop the tree while
  // fan_out still walks children_. Not needed once completions never run inside route().
  auto self = shared_from_this();
  fan_out(children_, req, std::move(done), policy_, broadcast);
}

void AllRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
