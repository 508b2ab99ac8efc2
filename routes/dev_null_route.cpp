#include "routes/dev_null_route.hpp"

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr DevNullRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (j.is_object()) check_keys(f, j, path, "DevNullRoute", {});
  return std::make_shared<DevNullRoute>();
}

void DevNullRoute::route(const RequestPtr& req, ReplyFn done) { done(default_reply(req->op)); }

}  // namespace mcrelay
