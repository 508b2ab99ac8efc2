#include "routes/slow_warm_up_route.hpp"

#include <random>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

double number(const RouteFactory& f, const nlohmann::json& j, const std::string& key, const std::string& path) {
  const auto& v = j.at(key);
  if (!v.is_number()) f.fail(path + "." + key, fmt::format("must be a number, got {}", config::describe_json(v)));
  return v.get<double>();
}

}  // namespace

SlowWarmUpSettings SlowWarmUpSettings::parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, fmt::format("expected an object, got {}", config::describe_json(j)));
  check_keys(f, j, path, "slow_warmup settings",
             {"enable_threshold", "disable_threshold", "start", "step", "min_requests"});
  SlowWarmUpSettings s;
  for (const char* key : {"enable_threshold", "disable_threshold"}) {
    if (!j.contains(key)) f.fail(path, fmt::format("missing required field \"{}\"", key));
    double v = number(f, j, key, path);
    if (!(v >= 0.0 && v <= 1.0)) f.fail(path + "." + key, fmt::format("must be in [0, 1], got {}", v));
  }
  s.enable_threshold = number(f, j, "enable_threshold", path);
  s.disable_threshold = number(f, j, "disable_threshold", path);
  if (!(s.enable_threshold < s.disable_threshold)) {
    f.fail(path, "enable_threshold must be strictly less than disable_threshold");
  }
  if (j.contains("start")) {
    s.start = number(f, j, "start", path);
    if (!(s.start > 0.0 && s.start < 1.0)) f.fail(path + ".start", fmt::format("must be in (0, 1), got {}", s.start));
  }
  if (j.contains("step")) {
    s.step = number(f, j, "step", path);
    if (!(s.step > 0.0 && s.step < 100.0)) f.fail(path + ".step", fmt::format("must be in (0, 100), got {}", s.step));
  }
  s.min_requests = static_cast<std::uint64_t>(get_int(f, j, "min_requests", path, 100, 1, INT64_MAX));
  return s;
}

SlowWarmUpRoute::SlowWarmUpRoute(RouteHandlePtr target, RouteHandlePtr failover_target,
                                 std::shared_ptr<const SlowWarmUpSettings> settings, Random random)
    : target_(std::move(target)), failover_(std::move(failover_target)), settings_(std::move(settings)),
      random_(std::move(random)) {}

double SlowWarmUpRoute::default_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

double SlowWarmUpRoute::hit_rate() const noexcept {
  const std::uint64_t total = stats_->hits + stats_->misses;
  if (total < settings_->min_requests) return 1.0;
  return static_cast<double>(stats_->hits) / static_cast<double>(total);
}

bool SlowWarmUpRoute::update_warming() noexcept {
  const double rate = hit_rate();
  stats_->warming = rate < (stats_->warming ? settings_->disable_threshold : settings_->enable_threshold);
  return stats_->warming;
}

void SlowWarmUpRoute::route(const RequestPtr& req, ReplyFn done) {
  if (op_kind(req->op) == OpKind::get && update_warming()) {
    const double share = settings_->start + hit_rate() * settings_->step;  // mcrouter: send if u <= share
    if (!(random_() <= share)) {
      failover_->route(req, std::move(done));
      return;
    }
  }
  target_->route(req, [stats = stats_, done = std::move(done)](Reply&& r) mutable {
    if (is_hit_result(r.result)) {
      ++stats->hits;
    } else if (r.result == Result::not_found) {
      ++stats->misses;
    }
    done(std::move(r));
  });
}

void SlowWarmUpRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  target_->collect_destinations(req, out);
  failover_->collect_destinations(req, out);
}

}  // namespace mcrelay
