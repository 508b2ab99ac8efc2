#pragma once
// FailoverRateLimiter: mcrouter's "failover_limit" {rate, burst} of FailoverRoute: a token bucket whose clock
// is the number of requests through the route, so that at most `rate` (0..1) of all requests fail over in the
// long run, with bursts of up to `burst` (default 1000) failovers. A failover away from a TKO destination is
// free (mcrouter: it costs the backup nothing extra that the down server would not have cost).
//
// Contract: parsed by build() at config load (throws ConfigError via RouteFactory::fail); used by one route
// handle on its worker thread (not thread-safe, never throws).
#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mcrelay {

class RouteFactory;

class FailoverRateLimiter {
 public:
  FailoverRateLimiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  static FailoverRateLimiter parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path);

  // Every request through the route (failed over or not) advances the bucket's clock.
  void on_request() noexcept {
    tokens_ = std::min(burst_, tokens_ + rate_);
  }
  // Takes a token for one failover; false when the limit is reached.
  bool failover_allowed() noexcept {
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
};

}  // namespace mcrelay
