#include "routes/all_sync_route.hpp"

#include "routes/fan_out.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr AllSyncRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "AllSyncRoute", {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllSyncRoute>(std::move(children));
}

void AllSyncRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  auto self = shared_from_this();  // a synchronous answer may drop the tree while we loop
  RequestPtr r = req;
  fan_out(children_, r, std::move(done), FanOutMerge::worst, broadcast);
}

void AllSyncRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
