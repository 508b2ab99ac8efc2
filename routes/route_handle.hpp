#pragma once
// RouteHandle: a node of the route tree (mcrouter's route handles).
//
// Contract: trees are built from JSON by RouteFactory (routes/route_factory.hpp), once per worker thread, and
// used only on that thread. route() must call `done` exactly once, synchronously or later, on the same
// thread; it never throws. No sockets here: leaves talk to a Destination (routes/destination.hpp), which the
// proxy implements with upstream connections and tests implement with recording fakes.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"
#include "util/unique_function.hpp"

namespace mcrelay {

using ReplyFn = UniqueFunction<void(Reply&&)>;

class RouteHandle;
using RouteHandlePtr = std::shared_ptr<RouteHandle>;

class RouteHandle {
 public:
  virtual ~RouteHandle() = default;

  // The JSON type name ("PoolRoute", "FailoverRoute", ...).
  virtual std::string_view type() const noexcept = 0;

  virtual void route(const RequestPtr& req, ReplyFn done) = 0;

  // Introspection (`__mcrouter__.route(op,key)`, `mcrelay --route-key`): append the destinations
  // ("host:port") this request would be sent to, without sending anything.
  virtual void collect_destinations(const Request& req, std::vector<std::string>& out) const = 0;

  // Broadcast (flush_all): route the request to every destination under this handle, not just the one
  // its key hashes to. The default is route(); fan-out handles and pools override it.
  virtual void broadcast(const RequestPtr& req, ReplyFn done) { route(req, std::move(done)); }
};

}  // namespace mcrelay
