#pragma once
// LatencyInjectionRoute {child, before_latency_ms, after_latency_ms, total_latency_ms,
// request_payload_latency, max_request_latency_us}: delays requests on their way to `child` and/or their
// replies on the way back (mcrouter's, for testing how clients cope with a slow cache).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` once, later, on that thread. Delays go through the
// factory's RouteTimer (routes/route_timer.hpp; the worker's io_context): nothing blocks the thread. Without
// a timer (only the validator, which routes nothing) requests pass undelayed.
//
// Semantics (mcrouter's): wait before_latency_ms, send to child, on its reply wait after_latency_ms, then, if
// less than total_latency_ms passed since the request arrived, wait for the rest; the child's reply is
// returned. request_payload_latency and max_request_latency_us are checked and have no effect: they read
// latencies carried in Carbon request fields, which memcached's protocols do not have. With no latency at
// all the handle is the child itself. At least one of the four options must be given.
#include <chrono>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"
#include "routes/route_timer.hpp"

namespace mcrelay {

class RouteFactory;

class LatencyInjectionRoute final : public RouteHandle, public std::enable_shared_from_this<LatencyInjectionRoute> {
 public:
  LatencyInjectionRoute(RouteHandlePtr child, RouteTimer* timer, std::chrono::milliseconds before,
                        std::chrono::milliseconds after, std::chrono::milliseconds total)
      : child_(std::move(child)), timer_(timer), before_(before), after_(after), total_(total) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "LatencyInjectionRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { child_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    child_->collect_destinations(req, out);
  }

 private:
  void send(const RequestPtr& req, ReplyFn done, std::chrono::steady_clock::time_point start);
  void finish(Reply&& reply, ReplyFn done, std::chrono::steady_clock::time_point start);

  RouteHandlePtr child_;
  RouteTimer* timer_;  // owned by the worker, which outlives its trees' requests
  std::chrono::milliseconds before_, after_, total_;
};

}  // namespace mcrelay
