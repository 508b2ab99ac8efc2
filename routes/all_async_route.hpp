#pragma once
// AllAsyncRoute {children}: send to every child, answer at once with the default reply.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once, before returning. The children's
// replies are dropped by callbacks that capture nothing, so dropping the tree while they are outstanding is
// safe.
//
// Semantics (mcrouter's): the request is handed to every child (in order), then `done` gets the reply
// NullRoute would give, without waiting: a miss (NOT_FOUND / END) for gets, NOT_STORED for set/add/...,
// NOT_FOUND for delete/incr/decr/touch, OK for flush_all and other commands. mcrouter does exactly this
// (its DefaultReply), which means a client of a write through AllAsyncRoute sees NOT_STORED even though the
// write is on its way; use it for replication whose result nobody reads (noreply writes). Broadcasts use
// the children's broadcast(). An empty children list builds a NullRoute.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllAsyncRoute final : public RouteHandle, public std::enable_shared_from_this<AllAsyncRoute> {
 public:
  explicit AllAsyncRoute(std::vector<RouteHandlePtr> children) : children_(std::move(children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "AllAsyncRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
