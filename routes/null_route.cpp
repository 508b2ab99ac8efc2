#include "routes/null_route.hpp"

#include <fmt/format.h>

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr NullRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (j.is_object()) check_keys(f, j, path, "NullRoute", {});
  return std::make_shared<NullRoute>();
}

void NullRoute::route(const RequestPtr& req, ReplyFn done) { done(default_reply(req->op)); }

RouteHandlePtr ErrorRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "ErrorRoute", {"response", "result", "enable_logging"});
  f.get_bool(j, "enable_logging", path, true);
  Result result = Result::remote_error;
  if (j.contains("result")) {
    std::string name = f.get_string(j, "result", path);
    std::string_view bare = std::string_view(name).starts_with("mc_res_") ? std::string_view(name).substr(7) : name;
    bool found = false;
    for (Result r : {Result::remote_error, Result::client_error, Result::local_error, Result::connect_error,
                     Result::connect_timeout, Result::timeout, Result::tko, Result::busy}) {
      if (result_name(r) == bare) {
        result = r;
        found = true;
      }
    }
    if (!found) {
      f.fail(path + ".result", fmt::format("\"{}\" is not an error result (e.g. \"mc_res_remote_error\", "
                                           "\"mc_res_local_error\", \"mc_res_timeout\", \"mc_res_busy\")",
                                           name));
    }
  }
  return std::make_shared<ErrorRoute>(f.get_string(j, "response", path, "ErrorRoute"), result);
}

void ErrorRoute::route(const RequestPtr&, ReplyFn done) { done(Reply::error(result_, response_)); }

}  // namespace mcrelay
