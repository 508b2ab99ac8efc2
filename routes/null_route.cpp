#include "routes/null_route.hpp"

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr NullRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (j.is_object()) check_keys(f, j, path, "NullRoute", {});
  return std::make_shared<NullRoute>();
}

void NullRoute::route(const RequestPtr& req, ReplyFn done) { done(default_reply(req->op)); }

RouteHandlePtr ErrorRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "ErrorRoute", {"response"});
  return std::make_shared<ErrorRoute>(f.get_string(j, "response", path, "ErrorRoute"));
}

void ErrorRoute::route(const RequestPtr&, ReplyFn done) { done(Reply::error(Result::remote_error, response_)); }

}  // namespace mcrelay
