#include "routes/failover_with_exptime_route.hpp"

#include <cstdint>
#include <optional>

#include "routes/failover_exptime_settings.hpp"
#include "routes/modify_exptime_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr FailoverWithExptimeRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "FailoverWithExptimeRoute",
             {"normal", "failover", "failover_exptime", "failover_errors", "failover_limit", "failover_policy",
              "failover_tag", "enable_lease_pairing", "settings"});
  std::optional<FailoverExptimeSettings> settings;
  if (auto it = j.find("settings"); it != j.end()) {
    settings = parse_failover_exptime_settings(f, *it, path + ".settings");
    if (j.contains("failover_errors")) {
      f.fail(path, "both \"settings\" and \"failover_errors\" say which errors fail over; give one");
    }
  }
  std::vector<RouteHandlePtr> children;
  children.push_back(f.build(f.require(j, "normal", path), path + ".normal"));
  // mcrouter reads any integer (an int32) and caps only when it is > 0: 0 or a negative value leaves the
  // failover routes unwrapped, so failed-over writes keep their own exptime.
  auto exptime = get_int(f, j, "failover_exptime", path, 60, INT64_MIN, INT32_MAX);
  if (auto it = j.find("failover"); it != j.end()) {
    for (auto& child : build_route_list(f, *it, path + ".failover")) {
      if (exptime > 0) {
        child = std::make_shared<ModifyExptimeRoute>(std::move(child), exptime, ModifyExptimeRoute::Action::min);
      }
      children.push_back(std::move(child));
    }
  }
  auto opts = FailoverRoute::parse_options(f, j, path, children.size());
  if (settings) {
    opts.errors = settings->errors;
    opts.failover_tag = opts.failover_tag || settings->failover_tag;
  }
  return std::make_shared<FailoverWithExptimeRoute>(
      std::make_shared<FailoverRoute>(std::move(children), std::move(opts)));
}

}  // namespace mcrelay
