#pragma once
// AllSyncRoute {children}: send to every child, wait for all of them, return the worst reply.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once, after the last child answered. The
// pending state is reference-counted (routes/fan_out.hpp) and owns the callback, so dropping the tree while
// replies are outstanding is safe.
//
// Semantics (mcrouter's): the same request goes to every child at once; the reply is the "worst" one by
// reply_severity() (routes/fan_out.hpp, mcrouter's order): CLIENT_ERROR/ERROR beats a SERVER_ERROR, which
// beats a timeout / connect error / TKO, which beats a miss / NOT_STORED, which beats a success or EXISTS;
// among equally bad replies the one that arrived first is kept. Broadcasts (flush_all) use the
// children's broadcast(). An empty children list builds a NullRoute, like mcrouter.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllSyncRoute final : public RouteHandle, public std::enable_shared_from_this<AllSyncRoute> {
 public:
  explicit AllSyncRoute(std::vector<RouteHandlePtr> children) : children_(std::move(children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "AllSyncRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
