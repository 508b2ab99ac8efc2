#pragma once
// ShardSplitRoute: what PoolRoute's "shard_splits" option puts in front of the pool (mcrouter's
// ShardSplitRoute): a shard that is split (routes/shard_splitter.hpp) has `count` copies of each of its
// keys, and requests are spread over them.
//
// Contract: made by PoolRoute::build at config load; route() runs on the owning worker thread, never
// throws, and calls `done` exactly once.
//
// Semantics (mcrouter's current ShardSplitRoute): for a key of a split shard with `count` copies (for a
// timed split, the count this host uses now),
//   - deletes (delete, md) go to every copy when the split fans out deletes (always for a plain count; a
//     timed split only with fanout_deletes): the other copies in the background, the reply is the key's own;
//   - every other request (gets, sets, arithmetic, touch...) goes to ONE copy, chosen per proxy host:
//     host_id() % count (routes/host_id.hpp), copy 0 being the key itself. So each host reads and writes
//     its own copy, and the hosts together spread a hot shard's load.
// Keys of shards that are not split, and keys without a shard id, pass through unchanged. Broadcasts
// (flush_all) go to the pool once.
#include <memory>

#include "routes/route_handle.hpp"
#include "routes/shard_splitter.hpp"

namespace mcrelay {

class ShardSplitRoute final : public RouteHandle {
 public:
  ShardSplitRoute(RouteHandlePtr child, ShardSplitter splitter)
      : child_(std::move(child)), splitter_(std::move(splitter)) {}

  std::string_view type() const noexcept override { return "ShardSplitRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { child_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  // The requests `req` becomes: the first one's reply is the client's; the others are background sends.
  std::vector<RequestPtr> expand(const RequestPtr& req) const;

  RouteHandlePtr child_;
  ShardSplitter splitter_;
};

}  // namespace mcrelay
