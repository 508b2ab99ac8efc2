#include "routes/null_route.hpp"

#include "routes/route_factory.hpp"

namespace mcrelay {

RouteHandlePtr NullRoute::build(RouteFactory&, const nlohmann::json&, const std::string&) {
  return std::make_shared<NullRoute>();
}

void NullRoute::route(const RequestPtr& req, ReplyFn done) {
  switch (op_kind(req->op)) {
    case OpKind::update:
      done(Reply(Result::not_stored));
      return;
    case OpKind::other:
      done(Reply(Result::ok));
      return;
    default:
      done(Reply(Result::not_found));
      return;
  }
}

RouteHandlePtr ErrorRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  return std::make_shared<ErrorRoute>(f.get_string(j, "response", path, "ErrorRoute"));
}

void ErrorRoute::route(const RequestPtr&, ReplyFn done) { done(Reply::error(Result::remote_error, response_)); }

}  // namespace mcrelay
