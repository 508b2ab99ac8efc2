#pragma once
// AllFastestRoute {children}: send to every child, return the first good reply.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. The per-request state is
// reference-counted and owned by the children's callbacks, so dropping the tree while replies are
// outstanding is safe; replies after the answer are dropped.
//
// Semantics (mcrouter's): the same request goes to every child; the first reply that is not a failover
// error (routes/failover_errors.hpp: timeout, connect error, TKO, busy, local error, SERVER_ERROR) is
// returned at once, whatever it is (a miss counts as good, so is CLIENT_ERROR, as in mcrouter). If every
// child answers with such an error, the last error to arrive is returned. Broadcasts use the children's
// broadcast(). An empty children list builds a NullRoute.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllFastestRoute final : public RouteHandle, public std::enable_shared_from_this<AllFastestRoute> {
 public:
  explicit AllFastestRoute(std::vector<RouteHandlePtr> children) : children_(std::move(children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "AllFastestRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
