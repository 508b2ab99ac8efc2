#pragma once
// MigrateRoute {from, to, start_time, interval}: mcrouter's time-based migration from one route to another
// (mcrouter/lib/routes/MigrateRoute.h). With now = the wall clock in seconds since the epoch:
//   now < start_time                          everything goes to `from`;
//   start_time <= now < start_time + interval  deletes go to both, everything else to `from`;
//   ... < start_time + 2 * interval            deletes go to both, everything else to `to`;
//   later                                      everything goes to `to`.
// A delete sent to both returns the worse of the two replies (mcrouter's worseThan, fan_out's severity).
// `start_time` is required (an integer, seconds since the epoch); `interval` defaults to 3600 seconds.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on the
// owning worker thread, never throw, and call `done` exactly once. `now` is injectable for tests.
#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class MigrateRoute final : public RouteHandle {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  MigrateRoute(RouteHandlePtr from, RouteHandlePtr to, std::int64_t start_time, std::int64_t interval,
               Clock now = {});

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "MigrateRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  static constexpr unsigned kFrom = 1;
  static constexpr unsigned kTo = 2;
  unsigned mask(Op op) const;

  RouteHandlePtr from_;
  RouteHandlePtr to_;
  std::int64_t start_;
  std::int64_t interval_;
  Clock now_;
};

}  // namespace mcrelay
