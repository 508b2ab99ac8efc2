#pragma once
// AllInitialRoute {children}: send to every child, return the first child's reply.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once, when children[0] answers. The
// other children's replies go to callbacks that capture nothing, so dropping the tree while replies are
// outstanding is safe.
//
// Semantics (mcrouter's): the same request goes to every child; `done` gets children[0]'s reply as is
// (hit, miss or error), whenever it arrives and whatever the others answer; the other children complete in
// the background and their replies are dropped. children[0] is sent to first. Broadcasts use the
// children's broadcast(). An empty children list builds a NullRoute.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllInitialRoute final : public RouteHandle, public std::enable_shared_from_this<AllInitialRoute> {
 public:
  explicit AllInitialRoute(std::vector<RouteHandlePtr> children) : children_(std::move(children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "AllInitialRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
