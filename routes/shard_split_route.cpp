#include "routes/shard_split_route.hpp"

#include <chrono>

#include "routes/host_id.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

std::vector<RequestPtr> ShardSplitRoute::expand(const RequestPtr& req) const {
  std::string_view shard;
  const ShardSplitter::Split* split = splitter_.find(req->routing_key(), &shard);
  if (split == nullptr) return {req};
  const std::uint32_t host = host_id();
  const std::size_t count =
      split->migrating ? split->size_for_host(std::chrono::system_clock::now(), host) : split->new_size;
  if (count <= 1) return {req};
  // The shard id is a view into req->key (through routing_key()): where it ends in the full key.
  const std::size_t shard_end = static_cast<std::size_t>(shard.data() - req->key.data()) + shard.size();
  auto copy = [&](std::size_t i) {
    RequestPtr r = clone_request(*req);
    r->key = ShardSplitter::split_key(req->key, shard_end, i);
    return r;
  };
  if (op_kind(req->op) == OpKind::del && split->fanout_deletes) {
    std::vector<RequestPtr> out{req};
    for (std::size_t i = 1; i < count; ++i) out.push_back(copy(i));
    return out;
  }
  const std::size_t mine = host % count;
  return {mine == 0 ? req : copy(mine)};
}

void ShardSplitRoute::route(const RequestPtr& req, ReplyFn done) {
  auto requests = expand(req);
  // As mcrouter: the other copies' deletes are started first, in the background.
  for (std::size_t i = 1; i < requests.size(); ++i) child_->route(requests[i], ignore_reply());
  child_->route(requests[0], std::move(done));
}

void ShardSplitRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  RequestPtr r = clone_request(req);
  for (const auto& each : expand(r)) child_->collect_destinations(*each, out);
}

}  // namespace mcrelay
