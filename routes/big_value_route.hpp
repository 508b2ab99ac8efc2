#pragma once
// BigValueRoute: mcrouter's splitting of large values (--big-value-split-threshold N; mcrouter's
// mcrouter/routes/BigValueRoute*), so that mcrouter and mcrelay read each other's big values.
//   set/add/replace/cas of a value longer than N bytes: the value is cut into ceil(len / N) chunks, each
//        stored with `set` under "<key>:<i>:<suffix>" (i from 0; the item's exptime), suffix being the low 32
//        bits of SpookyHashV2-128 (seeds 0, 0) of the whole value, as mcrouter's folly::IOBufHash. When every
//        chunk is stored, the original command stores under <key> the index "1-<chunks>-<suffix>" with flag
//        0x8000 (MC_MSG_FLAG_BIG_VALUE) added to the client's flags; otherwise the client gets the worst chunk
//        reply.
//   get/gets: a hit whose flags have 0x8000 and whose value is a valid index reads every chunk (with get) and
//        answers the concatenation, with the index item's flags (0x8000 included, as mcrouter without
//        --big-value-hide-reply-flag) and CAS; a chunk miss or error answers that (worst) result; an index
//        that does not parse is a miss. Anything else passes through.
// Built by the Router around each route tree when the threshold is non-zero; route() runs on the owning
// worker thread, never throws, and calls `done` exactly once.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "routes/route_handle.hpp"

namespace mcrelay {

class BigValueRoute final : public RouteHandle, public std::enable_shared_from_this<BigValueRoute> {
 public:
  static constexpr std::uint32_t kBigValueFlag = 0x8000;

  struct ChunksInfo {
    std::uint32_t chunks = 0;
    std::uint64_t suffix = 0;
    std::string index() const;  // "1-<chunks>-<suffix>"
    // The index value as written by mcrouter ("1-N-S", all of it), or nullopt.
    static std::optional<ChunksInfo> parse(std::string_view value);
  };

  BigValueRoute(RouteHandlePtr child, std::size_t threshold) : child_(std::move(child)), threshold_(threshold) {}

  // mcrouter's suffix for a value: low 32 bits of SpookyHashV2-128(value, 0, 0).
  static std::uint64_t value_suffix(std::string_view value) noexcept;
  static std::string chunk_key(std::string_view key, std::uint32_t i, std::uint64_t suffix);

  std::string_view type() const noexcept override { return child_->type(); }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { child_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    child_->collect_destinations(req, out);
  }

 private:
  void route_update(const RequestPtr& req, ReplyFn done);
  void read_chunks(const RequestPtr& req, Reply&& index_reply, const ChunksInfo& info, ReplyFn done);

  RouteHandlePtr child_;
  std::size_t threshold_;
};

}  // namespace mcrelay
