#pragma once
// L1L2SizeSplitRoute {l1, l2, threshold, ttl_threshold, failure_ttl, both_full_set, retries}: mcrouter's
// asymmetric storage (mcrouter/routes/L1L2SizeSplitRoute.h): small values live in l1, large ones in l2 with a
// sentinel left in l1.
//   set: goes to l1 alone when threshold is 0, the value is shorter than threshold, ttl_threshold is set and
//        the exptime is below it, or the key is too long to take the l2 suffix (key + 24 > 255 bytes).
//        Otherwise the full item goes to l2 first; once l2 stored it, l1 gets the sentinel: an empty value
//        with flag 0x20 (mcrouter's MC_MSG_FLAG_SIZE_SPLIT) added to the item's flags, and the client gets
//        l1's reply (l2's reply when l2 did not store). With both_full_set, the full item goes to l1 and,
//        when stored, to l2 in the background.
//   get: from l1. A hit without flag 0x20 is returned. A sentinel hit is resolved in l2: an empty sentinel
//        reads the same key from l2; a non-empty one (mcrouter's lease-set form, value = a number N) reads
//        "<key>|==|N". An l2 hit is returned with l2's flags; an l2 error is returned (and the sentinel deleted
//        from l1 when it is a failover error); an l2 miss of a "|==|N" key deletes the sentinel and answers
//        SERVER_ERROR (mcrouter's local error).
//   anything else: l1 only. mcrelay splits only plain set and get (mcrouter also splits lease-set and gets
//        with retries); ttl_threshold, failure_ttl and retries are checked as mcrouter checks them.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` exactly once.
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class L1L2SizeSplitRoute final : public RouteHandle, public std::enable_shared_from_this<L1L2SizeSplitRoute> {
 public:
  static constexpr std::uint32_t kSizeSplitFlag = 0x20;
  static constexpr std::string_view kHashAlias = "|==|";
  static constexpr std::size_t kMaxKeyLength = 255;
  static constexpr std::size_t kExtraKeySpace = 4 + 20;  // "|==|" and the digits of UINT64_MAX

  struct Options {
    std::uint64_t threshold = 0;
    std::int64_t ttl_threshold = 0;
    bool both_full_set = false;
  };

  L1L2SizeSplitRoute(RouteHandlePtr l1, RouteHandlePtr l2, Options opts)
      : l1_(std::move(l1)), l2_(std::move(l2)), opts_(opts) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "L1L2SizeSplitRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { l1_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  bool set_goes_to_l1(const Request& req) const noexcept;
  void route_set(const RequestPtr& req, ReplyFn done);
  void route_get(const RequestPtr& req, ReplyFn done);
  void delete_sentinel(const Request& req);

  RouteHandlePtr l1_;
  RouteHandlePtr l2_;
  Options opts_;
};

}  // namespace mcrelay
