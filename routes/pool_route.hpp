#pragma once
// PoolRoute {pool, hash: {hash_func, salt, weights}}: a HashRoute over the servers of one pool, the route
// almost every mcrouter config uses. Built by RouteFactory; route() runs on a worker thread.
// mcrouter's `asynclog` (bool), `asynclog_name` and `pool_id` (strings) and `axonlog` (false) are
// type-checked and ignored (`axonlog: true` is refused); other unknown keys follow the unknown-key policy
// (routes/route_helpers.hpp check_keys). build() may return another handle than a PoolRoute when the
// options ask for one (routes/pool_route_wrappers.hpp):
//   `rates`:        the pool behind a RateLimitRoute (routes/rate_limit_route.hpp);
//   `slow_warmup`:  each server behind a SlowWarmUpRoute (routes/slow_warm_up_route.hpp);
//   "hash": "Latest" (or {"hash_func": "Latest", ...}): a LatestRoute over the servers instead of a hash;
//   "hash": "LoadBalancer": likewise a LoadBalancerRoute;
//   `bucketize`:    keys placed by their bucket (routes/key_bucketizer.hpp); needs a WeightedCh3 hash;
//   `shard_splits`: a ShardSplitRoute in front of all that (routes/shard_split_route.hpp).
//
// `shadows` (mcrouter's shadowing): [{"target": route, "index_range": [b, e], "key_fraction_range": [lo, hi]}].
// A request whose key goes to a server of index b <= i < e (default: every server) and whose routing key
// hashes into the fraction [lo, hi] of the key space (SpookyHashV2 32-bit, seed 0, as mcrouter; default
// [0, 1]) is also sent to `target`, whose reply is ignored: the client always gets the pool's reply.
// `shadow_policy` may only be "default" (the only one open-source mcrouter has).
#include <cstdint>
#include <optional>
#include <vector>

#include "routes/destination.hpp"
#include "routes/hash_route.hpp"
#include "routes/key_bucketizer.hpp"

namespace mcrelay {

//
// With the pool option "eject_down_servers": true (twemproxy's auto_eject_hosts), a key whose server is
// down (TKO) is rehashed over the live servers until one is up; keys of live servers never move, and the
// ejected server's keys come back to it when it recovers. A pool with a twemproxy hash (TwemproxyHash)
// instead does what twemproxy does: while any server is down, every key is placed by the distribution
// rebuilt over the live servers.
class PoolRoute final : public HashRoute {
 public:
  struct Shadow {
    RouteHandlePtr target;
    std::uint32_t index_begin = 0;  // production server indexes [index_begin, index_end)
    std::uint32_t index_end = 0;
    std::uint32_t key_lo = 0;       // routing-key hashes [key_lo, key_hi], inclusive
    std::uint32_t key_hi = UINT32_MAX;
  };

  PoolRoute(std::string pool_name, std::vector<RouteHandlePtr> destinations, HashSelector selector,
            bool eject_down_servers, std::vector<Shadow> shadows = {},
            std::optional<KeyBucketizer> bucketizer = std::nullopt);

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "PoolRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;
  const std::string& pool_name() const noexcept { return pool_name_; }
  // Parses j["shadows"] (absent: none) for `pool_size` children; also used by the standalone ShadowRoute.
  // As mcrouter, a shadow it cannot use is dropped with a warning (routes/pool_route_shadows.cpp).
  static std::vector<Shadow> build_shadows(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                           std::uint32_t pool_size);

 private:
  std::uint32_t pick(const Request& req) const;
  template <typename Fn>
  void for_each_shadow(const Request& req, std::uint32_t index, Fn&& fn) const;  // the shadows that take it

  std::string pool_name_;
  std::vector<Shadow> shadows_;
  std::optional<KeyBucketizer> bucketizer_;  // set: the key's bucket is hashed, not the key
  bool eject_;
  std::vector<Destination*> dests_;  // children_[i]'s destination
};

}  // namespace mcrelay
