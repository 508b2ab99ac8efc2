#pragma once
// LoadBalancerRoute {children, algorithm, salt, failover_count, load_ttl_ms, default_server_load_percent,
// seed}: mcrouter's load-based choice among children.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` once (after the failovers, if any). The handle keeps state
// (the random generator) per worker tree: no locking.
//
// Semantics. mcrouter weighs each child by 1 - (the load its server last reported in replies), and servers
// report load only through Facebook's Carbon protocol; memcached reports none, and mcrouter then keeps every
// weight at 1.0. mcrelay talks to memcached, so every child always has the same load, and:
//   "algorithm": "weighted-hashing" (the default): WeightedCh3 over the routing key (+ salt) with every
//       weight 1.0 — a key always goes to the same child, as under mcrouter against memcached;
//   "algorithm": "two-random-choices": two distinct children at random, the less loaded wins; with equal
//       loads this is a uniformly random child (mcrelay extension "seed" makes it reproducible).
// failover_count (default 1: no failover; capped at the number of children): while a reply is an error,
// the chosen child is removed and the choice is made again among the others (weighted-hashing: with
// salt + the number of tries left appended, as mcrouter does). load_ttl_ms and default_server_load_percent
// are checked and have no effect (no load is ever reported). 0 children build a NullRoute, 1 the child
// itself.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/ref_counted.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class LoadBalancerRoute final : public RouteHandle, public std::enable_shared_from_this<LoadBalancerRoute> {
 public:
  enum class Algorithm : std::uint8_t { weighted_hashing, two_random_choices };

  LoadBalancerRoute(std::vector<RouteHandlePtr> children, Algorithm algorithm, std::string salt,
                    std::uint32_t failover_count, std::uint64_t seed)
      : children_(std::move(children)),
        algorithm_(algorithm),
        salt_(std::move(salt)),
        failover_count_(failover_count),
        rng_(seed) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  // The same over `children` already built, the options (not "children") read from `j`, whose keys the
  // caller has checked: mcrouter's hash function "LoadBalancer" of a PoolRoute or HashRoute.
  static RouteHandlePtr build_over(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                   std::vector<RouteHandlePtr> children);

  std::string_view type() const noexcept override { return "LoadBalancerRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  // The first choice for `req` among children (weighted-hashing only: deterministic).
  std::size_t first_choice(const Request& req);

 private:
  struct Attempt;
  // Picks among `candidates` (indexes of children); `retries_left` salts weighted-hashing's retries.
  std::size_t pick(const Request& req, const std::vector<std::size_t>& candidates, std::uint32_t retries_left,
                   bool first);
  void attempt(const Ref<Attempt>& a);
  std::uint64_t next_random() noexcept;

  std::vector<RouteHandlePtr> children_;
  Algorithm algorithm_;
  std::string salt_;
  std::uint32_t failover_count_;
  std::uint64_t rng_;
};

}  // namespace mcrelay
