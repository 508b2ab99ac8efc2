#pragma once
// RateLimitRoute {target, rates}: passes requests to `target` while its token bucket for their kind has a
// token, else answers at once with NullRoute's "nothing happened" reply (mcrouter's DefaultReply).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws. The buckets belong to the handle, i.e. to one worker's tree: like mcrouter
// (one tree per proxy thread), the configured rates apply per worker thread (--num-proxies).
//
// `rates` (mcrouter's RateLimiter): {"gets_rate": R, "gets_burst": B, "sets_rate": ..., "sets_burst": ...,
// "deletes_rate": ..., "deletes_burst": ...}; rates and bursts are positive numbers (per second, tokens);
// a missing *_rate means no limit for that kind, a missing *_burst equals the rate. Gets are mcrouter's
// get-like commands (get, gets, gat, gats, lease-get, metaget, mg, me), sets its update-like ones (set, add,
// replace, append, prepend, cas, lease-set, ms), deletes delete and md; everything else is never limited.
// Buckets start empty (folly's TokenBucket), so right after a (re)load requests pass at the rate only.
#include <chrono>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"
#include "routes/token_bucket.hpp"

namespace mcrelay {

class RouteFactory;

class RateLimitRoute final : public RouteHandle {
 public:
  using Clock = std::function<double()>;  // seconds
  struct Rates {
    std::optional<std::pair<double, double>> gets, sets, deletes;  // rate, burst
  };

  RateLimitRoute(RouteHandlePtr target, const Rates& rates, Clock clock = steady_seconds);

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  static Rates parse_rates(RouteFactory& f, const nlohmann::json& rates, const std::string& path);
  static double steady_seconds();

  std::string_view type() const noexcept override { return "RateLimitRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { target_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    target_->collect_destinations(req, out);
  }

  bool can_pass(Op op);

 private:
  RouteHandlePtr target_;
  Clock clock_;
  std::optional<TokenBucket> gets_, sets_, deletes_;
};

}  // namespace mcrelay
