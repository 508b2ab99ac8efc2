#pragma once
// LatestRoute {children, failover_count, weights, salt, thread_local_failover, failover_errors, ...}: a
// FailoverRoute over a few children picked once per proxy (replicated reads that spread over replicas
// without every proxy connecting to every replica).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. The work is done by an inner
// FailoverRoute, which keeps itself alive while replies are pending.
//
// Semantics (mcrouter's): at build time, `failover_count` (default 5, at most the number of children)
// children are drawn without replacement, each draw weighted by `weights` (default 1 each; as in mcrouter a
// short list is padded with 0.5 and extra entries are ignored); the request then goes through a
// FailoverRoute over them in draw order, with the same failover_errors / failover_limit / failover_policy
// keys and reply merging as FailoverRoute. The draw is seeded per proxy host, like mcrouter's host id: from
// the host name and `salt`, so every worker thread and every config reload of one proxy picks the same
// children and different hosts pick different ones; "thread_local_failover": true adds per-tree randomness
// (each worker picks its own). mcrelay extension: "seed" (unsigned integer) fixes the draw (tests,
// reproducible setups). Broadcasts (flush_all) go to every child, chosen or not. An empty children list builds a NullRoute.
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/failover_route.hpp"

namespace mcrelay {

class RouteFactory;

class LatestRoute final : public RouteHandle {
 public:
  LatestRoute(std::shared_ptr<FailoverRoute> inner, std::vector<RouteHandlePtr> all_children)
      : inner_(std::move(inner)), all_(std::move(all_children)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  // The same over `children` already built, reading the options (not "children") from `j`, whose keys the
  // caller has checked: mcrouter's `"hash": "Latest"` of a PoolRoute or HashRoute (routes/pool_route.hpp).
  static RouteHandlePtr build_over(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                   std::vector<RouteHandlePtr> children);

  // The draw: indexes of `count` of `weights.size()` children, in failover order. Deterministic in `seed`.
  static std::vector<std::size_t> pick(std::uint64_t seed, std::vector<double> weights, std::size_t count);

  std::string_view type() const noexcept override { return "LatestRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { inner_->route(req, std::move(done)); }
  // A broadcast (flush_all) must empty every replica, not only the ones this proxy reads from.
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    inner_->collect_destinations(req, out);
  }

  const std::vector<RouteHandlePtr>& chosen() const noexcept { return inner_->children(); }

 private:
  std::shared_ptr<FailoverRoute> inner_;
  std::vector<RouteHandlePtr> all_;  // every child, for broadcasts
};

}  // namespace mcrelay
