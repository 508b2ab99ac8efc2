#include "routes/modify_exptime_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr ModifyExptimeRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "ModifyExptimeRoute", {"target", "exptime", "action"});
  auto target = f.build(f.require(j, "target", path), path + ".target");
  f.require(j, "exptime", path);
  std::int64_t exptime = get_int(f, j, "exptime", path, 0, INT32_MIN, INT32_MAX);
  std::string action = f.get_string(j, "action", path, "set");
  Action a = Action::set;
  if (action == "min") {
    a = Action::min;
  } else if (action != "set") {
    f.fail(path + ".action", fmt::format("expected \"set\" or \"min\", got {}", config::describe_json(j["action"])));
  }
  return std::make_shared<ModifyExptimeRoute>(std::move(target), exptime, a);
}

RequestPtr ModifyExptimeRoute::rewrite(const RequestPtr& req) const {
  if (!has_exptime(req->op)) return req;
  if (action_ == Action::min) {
    // 0 means "never expires": anything finite is smaller.
    if (exptime_ == 0) return req;
    if (req->exptime != 0 && req->exptime <= exptime_) return req;
  } else if (req->exptime == exptime_) {
    return req;
  }
  RequestPtr copy = clone_request(*req);
  copy->exptime = exptime_;
  return copy;
}

void ModifyExptimeRoute::route(const RequestPtr& req, ReplyFn done) {
  RequestPtr r = rewrite(req);
  target_->route(r, std::move(done));
}

}  // namespace mcrelay
