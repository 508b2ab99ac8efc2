#pragma once
// LoggingRoute {target}: forwards requests to `target` (NullRoute when absent), then logs each request and
// its reply through the factory's RouteLog (routes/route_log.hpp; the worker writes it with mcrelay's logger,
// whatever --log-level says), in mcrouter's words:
//   request key: <full key> response: mc_res_<result> responseLength: <value length> ip: N/A
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` with the target's reply after logging it. The client's
// address is not logged ("N/A", what mcrouter prints without --retain-source-ip). Without a RouteLog
// (validator, unit tests that give none) nothing is written.
#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"
#include "routes/route_log.hpp"

namespace mcrelay {

class RouteFactory;

class LoggingRoute final : public RouteHandle {
 public:
  LoggingRoute(RouteHandlePtr target, RouteLog* log) : target_(std::move(target)), log_(log) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "LoggingRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { target_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    target_->collect_destinations(req, out);
  }

  static std::string line(const Request& req, const Reply& reply);

 private:
  RouteHandlePtr target_;
  RouteLog* log_;  // owned by the worker
};

}  // namespace mcrelay
