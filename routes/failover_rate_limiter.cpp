#include "routes/failover_rate_limiter.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

FailoverRateLimiter FailoverRateLimiter::parse(const RouteFactory& f, const nlohmann::json& j,
                                               const std::string& path) {
  if (!j.is_object()) f.fail(path, fmt::format("expected an object {{\"rate\", \"burst\"}}, got {}", config::describe_json(j)));
  double rate = 0;
  double burst = 1000;
  bool have_rate = false;
  check_keys(f, j, path, "failover_limit", {"rate", "burst"});  // the unknown-key policy
  for (const auto& [key, value] : j.items()) {
    if (key != "rate" && key != "burst") continue;
    if (!value.is_number()) {
      f.fail(path + "." + key, fmt::format("expected a number, got {}", config::describe_json(value)));
    }
    if (key == "rate") {
      rate = std::clamp(value.get<double>(), 0.0, 1.0);  // mcrouter clamps rather than rejects
      have_rate = true;
    } else {
      burst = std::max(value.get<double>(), 1.0);
    }
  }
  if (!have_rate) f.fail(path, "missing required field \"rate\"");
  return FailoverRateLimiter(rate, burst);
}

}  // namespace mcrelay
