#include "routes/logging_route.hpp"

#include <fmt/format.h>

#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr LoggingRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  RouteHandlePtr target;
  if (j.is_object()) {
    check_keys(f, j, path, "LoggingRoute", {"target"});
    if (auto it = j.find("target"); it != j.end()) target = f.build(*it, path + ".target");
  }
  if (!target) target = std::make_shared<NullRoute>();
  return std::make_shared<LoggingRoute>(std::move(target), f.route_log());
}

std::string LoggingRoute::line(const Request& req, const Reply& reply) {
  return fmt::format("request key: {} response: mc_res_{} responseLength: {} ip: N/A", req.key,
                     result_name(reply.result), reply.value.size());
}

void LoggingRoute::route(const RequestPtr& req, ReplyFn done) {
  if (log_ == nullptr) {
    target_->route(req, std::move(done));
    return;
  }
  target_->route(req, [req, log = log_, done = std::move(done)](Reply&& r) mutable {
    log->write(line(*req, r));
    done(std::move(r));
  });
}

}  // namespace mcrelay
