#pragma once
// The All* family, {children}: the same request to every child, one reply made of theirs by a merge policy.
// One class; mcrouter's five JSON types are its policies (registered by those names in builtin_routes.cpp):
//
//   AllSyncRoute      waits for every child; the "worst" reply by reply_severity() (routes/fan_out.hpp,
//                     mcrouter's order): CLIENT_ERROR/ERROR beats a SERVER_ERROR, which beats a timeout /
//                     connect error / TKO, which beats a miss / NOT_STORED, which beats a success or EXISTS;
//                     among equally bad replies the one that arrived first is kept.
//   AllAsyncRoute     answers at once with the reply NullRoute would give, without waiting: a miss for gets,
//                     NOT_STORED for set/add/..., NOT_FOUND for delete/incr/decr/touch, OK for flush_all and
//                     the rest (mcrouter's DefaultReply). A client of a write through it sees NOT_STORED even
//                     though the write is on its way: it is for replication nobody reads the result of.
//   AllInitialRoute   children[0]'s reply as is (hit, miss or error), whenever it arrives and whatever the
//                     others answer; the others complete in the background.
//   AllMajorityRoute  replies are counted by result (errors count too); as soon as one result has been seen
//                     by n/2 + 1 children, the reply holding it. If none gets there (2 hits, 2 misses of 4),
//                     after the last reply: the most common result, ties to the worse by reply_severity(), so
//                     a 1-1 split between a hit and a timeout returns the timeout. Among replies with the same
//                     result, the one that made the count (for equal counts the first one).
//   AllFastestRoute   the first reply that is not a failover error (routes/failover_errors.hpp: timeout,
//                     connect error, TKO, busy, local error, SERVER_ERROR) at once, whatever it is (a miss or a
//                     CLIENT_ERROR counts as good, as in mcrouter); if every child fails so, the last error.
//
// Children are sent to in order. Broadcasts (flush_all) use the children's broadcast(). An empty children list
// builds a NullRoute, like mcrouter.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on the
// owning worker thread, never throw, and call `done` exactly once (routes/fan_out.hpp: the pending state is
// reference-counted and owns the callback, so dropping the tree while replies are outstanding is safe).
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/fan_out.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class AllRoute final : public RouteHandle, public std::enable_shared_from_this<AllRoute> {
 public:
  AllRoute(FanOutMerge policy, std::vector<RouteHandlePtr> children)
      : policy_(policy), children_(std::move(children)) {}

  // The builder of one JSON type; `Policy` is the merge that type stands for.
  template <FanOutMerge Policy>
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
    return build_with(Policy, f, j, path);
  }
  // mcrouter's name of a policy's route type ("AllSyncRoute", ...).
  static std::string_view type_name(FanOutMerge policy) noexcept;

  std::string_view type() const noexcept override { return type_name(policy_); }
  FanOutMerge policy() const noexcept { return policy_; }
  void route(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), false); }
  void broadcast(const RequestPtr& req, ReplyFn done) override { dispatch(req, std::move(done), true); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  static RouteHandlePtr build_with(FanOutMerge policy, RouteFactory& f, const nlohmann::json& j,
                                   const std::string& path);
  void dispatch(const RequestPtr& req, ReplyFn done, bool broadcast);

  FanOutMerge policy_;
  std::vector<RouteHandlePtr> children_;
};

}  // namespace mcrelay
