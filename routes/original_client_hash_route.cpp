#include "routes/original_client_hash_route.hpp"

#include <fmt/format.h>

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr OriginalClientHashRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "OriginalClientHashRoute needs an object with \"children\"");
  check_keys(f, j, path, "OriginalClientHashRoute", {"children", "offset"});
  const auto& list = f.require(j, "children", path);
  if (!list.is_array()) f.fail(path + ".children", "OriginalClientHashRoute: \"children\" must be a list");
  auto children = build_route_list(f, list, path + ".children");
  if (children.empty()) f.fail(path + ".children", "OriginalClientHashRoute needs at least one child");
  if (children.size() == 1) return children.front();
  const auto offset = get_int(f, j, "offset", path, 0, 0, static_cast<std::int64_t>(children.size()) - 1);
  return std::make_shared<OriginalClientHashRoute>(std::move(children), static_cast<std::uint64_t>(offset));
}

void OriginalClientHashRoute::route(const RequestPtr& req, ReplyFn done) {
  if (!req->has_client_ip) {
    done(Reply::error(Result::local_error, "Missing IP"));
    return;
  }
  children_[(req->client_ip_hash + offset_) % children_.size()]->route(req, std::move(done));
}

void OriginalClientHashRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (!req.has_client_ip) {
    for (const auto& c : children_) c->collect_destinations(req, out);  // depends on the client
    return;
  }
  children_[(req.client_ip_hash + offset_) % children_.size()]->collect_destinations(req, out);
}

}  // namespace mcrelay
