#pragma once
// AllMajorityRoute {children}: send to every child, return once a strict majority agrees.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. The per-request state is
// reference-counted and owned by the children's callbacks (it needs nothing from the handle), so dropping
// the tree while replies are outstanding is safe; replies after the answer are dropped.
//
// Semantics (mcrouter's code, which the wiki describes loosely): the same request goes to every child.
// Replies are counted by result (found, not_found, stored, timeout, ...; errors count too). As soon as one
// result has been seen by n/2 + 1 children, the reply holding it is returned. If no result reaches that
// (e.g. 2 hits, 2 misses of 4), the answer comes after the last reply: the most common result, ties broken
// in favour of the worse one by reply_severity() (routes/fan_out.hpp), so a 1-1 split between a hit and a
// timeout returns the timeout. Among replies with the same result, the one that made the count is kept (for
// equal counts the first one). Broadcasts use the children's broadcast(). An empty children list builds a
// NullRoute.
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllMajorityRoute final : public RouteHandle, public std::enable_shared_from_this<AllMajorityRoute> {
 public:
  explicit AllMajorityRoute(std::vector<RouteHandlePtr> children) : children_(std::move(children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "AllMajorityRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
