#pragma once
// FailoverWithExptimeRoute {normal, failover, failover_exptime, failover_errors, failover_limit}:
// FailoverRoute over [normal, failover...] where writes that fail over get a short TTL.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. The work is done by an inner
// FailoverRoute, which keeps itself alive while replies are pending.
//
// Semantics (mcrouter's factory): `normal` is one route; `failover` is one route or a list of routes. Each
// failover route is wrapped in ModifyExptimeRoute "min" with `failover_exptime` seconds (default 60; any
// integer up to INT32_MAX, and as in mcrouter a value <= 0 means no cap: the failover routes are not
// wrapped), so set/add/.../touch/gat requests that fail over are stored with exptime min(theirs, cap), 0
// counting as infinite; the request is copied, never changed in place. Then it is a FailoverRoute over
// [normal, failover...]: same failover errors, same "last reply when all fail", same reply merging;
// broadcasts go to every child. mcrouter's old "settings" object (per-error failover switches and
// failover_tag, routes/failover_exptime_settings.hpp) sets the failover errors in place of failover_errors
// (giving both is an error); its failover_tag, like the top-level one, tags the failover requests.
// A missing `failover` leaves just `normal`.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/failover_route.hpp"

namespace mcrelay {

class RouteFactory;

class FailoverWithExptimeRoute final : public RouteHandle {
 public:
  explicit FailoverWithExptimeRoute(std::shared_ptr<FailoverRoute> inner) : inner_(std::move(inner)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "FailoverWithExptimeRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { inner_->route(req, std::move(done)); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { inner_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    inner_->collect_destinations(req, out);
  }

 private:
  std::shared_ptr<FailoverRoute> inner_;
};

}  // namespace mcrelay
