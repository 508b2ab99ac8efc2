#include "proxy/upstream_destination.hpp"

#include <functional>
#include <string_view>

#include "proxy/delete_spool.hpp"
#include "proxy/stats.hpp"

namespace mcrelay {

UpstreamDestination::UpstreamDestination(UpstreamContext& worker, ServerHealth& health, UpstreamSettings settings,
                                         unsigned connections)
    : worker_(worker), name_(health.name()), health_(health), stats_(worker.stats().destination(health.name())) {
  for (unsigned i = 0; i < std::max(1u, connections); ++i) {
    conns_.push_back(make_ref<UpstreamConnection>(worker, health, stats_, settings));
  }
}

bool UpstreamDestination::available() const noexcept { return !health_.is_tko(); }

void UpstreamDestination::send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) {
  if (spool_ && req->op == Op::delete_) {
    // Reliable deletes: a delete that cannot reach the server is kept and replayed, never dropped. As in
    // mcrouter's asynclog, a server's own SERVER_ERROR counts too (a failover error there); a CLIENT_ERROR
    // is the client's to see.
    DeleteSpool* spool = spool_;
    std::string server = name_;
    std::string key(req->upstream_key(opts.keep_routing_prefix));
    done = [inner = std::move(done), spool, server = std::move(server), key = std::move(key)](Reply&& r) mutable {
      if ((is_transport_error(r.result) || r.result == Result::remote_error) && spool->append(server, key)) {
        inner(Reply(Result::not_found));
        return;
      }
      inner(std::move(r));
    };
  }
  if (health_.is_tko()) {
    // Down: fail at once instead of waiting for a timeout (a FailoverRoute moves on immediately).
    stats_->results[static_cast<int>(Result::tko)].add();
    worker_.defer_completion(std::move(done), Reply::error(Result::tko, health_.unavailable_message()));
    return;
  }
  // One key, one connection: memcached answers each connection in order but runs different connections on
  // different threads, so a set and the get after it must not travel side by side. (Choosing the least busy
  // connection let a client's get overtake its own set.)
  std::size_t i = conns_.size() == 1 ? 0 : std::hash<std::string_view>{}(req->key) % conns_.size();
  conns_[i]->send(req, opts, std::move(done));
}

UpstreamDestination::~UpstreamDestination() {
  // No tree routes here any more: let pending requests finish, then close.
  for (auto& c : conns_) c->retire();
}

void UpstreamDestination::close() {
  for (auto& c : conns_) c->close();
}

std::size_t UpstreamDestination::close_inactive() {
  std::size_t n = 0;
  for (auto& c : conns_) n += c->close_if_inactive() ? 1 : 0;
  return n;
}

}  // namespace mcrelay
