#include "routes/all_async_route.hpp"

#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr AllAsyncRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "AllAsyncRoute", {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllAsyncRoute>(std::move(children));
}

void AllAsyncRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  auto self = shared_from_this();
  RequestPtr r = req;
  for (const auto& child : children_) {
    if (broadcast) {
      child->broadcast(r, ignore_reply());
    } else {
      child->route(r, ignore_reply());
    }
  }
  done(default_reply(r->op));
}

void AllAsyncRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
