#include "routes/all_initial_route.hpp"

#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr AllInitialRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "AllInitialRoute", {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllInitialRoute>(std::move(children));
}

void AllInitialRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  auto self = shared_from_this();  // children[0] may answer synchronously and the answer drop the tree
  RequestPtr r = req;
  for (std::size_t i = 0; i < children_.size(); ++i) {
    ReplyFn cb = i == 0 ? std::move(done) : ignore_reply();
    if (broadcast) {
      children_[i]->broadcast(r, std::move(cb));
    } else {
      children_[i]->route(r, std::move(cb));
    }
  }
}

void AllInitialRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
