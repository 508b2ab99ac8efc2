#include "routes/rate_limit_route.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

constexpr std::array<std::string_view, 6> kRateKeys = {"gets_rate", "gets_burst", "sets_rate",
                                                        "sets_burst", "deletes_rate", "deletes_burst"};

std::optional<std::pair<double, double>> parse_pair(RouteFactory& f, const nlohmann::json& rates,
                                                    const std::string& path, const std::string& kind) {
  auto positive = [&](const std::string& key) -> std::optional<double> {
    auto it = rates.find(key);
    if (it == rates.end()) return std::nullopt;
    if (!it->is_number() || it->get<double>() <= 0.0) {
      f.fail(path + "." + key, fmt::format("must be a positive number, got {}", config::describe_json(*it)));
    }
    return it->get<double>();
  };
  auto rate = positive(kind + "_rate");
  auto burst = positive(kind + "_burst");
  if (!rate) {
    if (burst) f.fail(path + "." + kind + "_burst", fmt::format("{}_burst without {}_rate", kind, kind));
    return std::nullopt;
  }
  return std::make_pair(*rate, burst.value_or(*rate));
}

}  // namespace

RateLimitRoute::RateLimitRoute(RouteHandlePtr target, const Rates& rates, Clock clock)
    : target_(std::move(target)), clock_(std::move(clock)) {
  const double now = clock_();
  if (rates.gets) gets_.emplace(rates.gets->first, rates.gets->second, now);
  if (rates.sets) sets_.emplace(rates.sets->first, rates.sets->second, now);
  if (rates.deletes) deletes_.emplace(rates.deletes->first, rates.deletes->second, now);
}

double RateLimitRoute::steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

RateLimitRoute::Rates RateLimitRoute::parse_rates(RouteFactory& f, const nlohmann::json& rates,
                                                  const std::string& path) {
  if (!rates.is_object()) f.fail(path, fmt::format("expected an object, got {}", config::describe_json(rates)));
  check_keys(f, rates, path, "rates",
             {kRateKeys[0], kRateKeys[1], kRateKeys[2], kRateKeys[3], kRateKeys[4], kRateKeys[5]});
  return Rates{parse_pair(f, rates, path, "gets"), parse_pair(f, rates, path, "sets"),
               parse_pair(f, rates, path, "deletes")};
}

RouteHandlePtr RateLimitRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "RateLimitRoute needs an object with \"target\" and \"rates\"");
  check_keys(f, j, path, "RateLimitRoute", {"target", "rates"});
  auto target = f.build(f.require(j, "target", path), path + ".target");
  auto rates = parse_rates(f, f.require(j, "rates", path), path + ".rates");
  return std::make_shared<RateLimitRoute>(std::move(target), rates);
}

bool RateLimitRoute::can_pass(Op op) {
  std::optional<TokenBucket>* bucket = nullptr;
  switch (op_kind(op)) {
    case OpKind::get:
      bucket = &gets_;
      break;
    case OpKind::update:
      bucket = &sets_;
      break;
    case OpKind::del:
      bucket = &deletes_;
      break;
    default:
      return true;
  }
  return !*bucket || (*bucket)->consume(clock_());
}

void RateLimitRoute::route(const RequestPtr& req, ReplyFn done) {
  if (can_pass(req->op)) {
    target_->route(req, std::move(done));
    return;
  }
  done(default_reply(req->op));
}

}  // namespace mcrelay
