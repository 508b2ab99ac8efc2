#pragma once
// L1L2CacheRoute {l1, l2, upgradingL1Exptime, ncacheExptime, ncacheUpdatePeriod}: mcrouter's two-level cache
// (mcrouter/lib/routes/L1L2CacheRoute.h).
//   get: from l1. A hit is returned, unless it is a negative-cache entry (flag 0x10000, mcrouter's
//        MC_MSG_FLAG_NEGATIVE_CACHE): that is returned as a miss, and with ncacheUpdatePeriod > 0 every
//        ncacheUpdatePeriod-th such miss re-reads l2 in the background and `set`s l1 from it (the value with
//        upgradingL1Exptime, or a fresh negative entry with ncacheExptime when l2 misses too).
//        On an l1 miss the reply comes from l2; an l2 hit is `add`ed to l1 in the background with l2's flags
//        and exptime upgradingL1Exptime; an l2 miss with ncacheUpdatePeriod > 0 `add`s the negative entry
//        ("ncache", flag 0x10000, exptime ncacheExptime) to l1.
//   anything else (sets, deletes, gets, lease and meta commands, flush_all): l1 only. Keeping l2 current is
//        the client's business, as in mcrouter.
// upgradingL1Exptime is required; the others default to 0.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` exactly once. The negative-cache counter is per tree (one per
// worker thread), like mcrouter's per-proxy route handles.
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class L1L2CacheRoute final : public RouteHandle, public std::enable_shared_from_this<L1L2CacheRoute> {
 public:
  static constexpr std::uint32_t kNegativeCacheFlag = 0x10000;
  static constexpr std::string_view kNegativeCacheValue = "ncache";

  L1L2CacheRoute(RouteHandlePtr l1, RouteHandlePtr l2, std::uint32_t upgrading_l1_exptime,
                 std::uint32_t ncache_exptime, std::uint32_t ncache_update_period)
      : l1_(std::move(l1)), l2_(std::move(l2)), upgrade_exptime_(upgrading_l1_exptime),
        ncache_exptime_(ncache_exptime), ncache_period_(ncache_update_period), ncache_counter_(ncache_update_period) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "L1L2CacheRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { l1_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  RequestPtr l1_update(const Request& req, Op op, const Reply& l2_hit) const;
  RequestPtr l1_ncache(const Request& req, Op op) const;
  void refresh_ncache(const RequestPtr& req);

  RouteHandlePtr l1_;
  RouteHandlePtr l2_;
  std::uint32_t upgrade_exptime_;
  std::uint32_t ncache_exptime_;
  std::uint32_t ncache_period_;
  std::uint32_t ncache_counter_;
};

}  // namespace mcrelay
