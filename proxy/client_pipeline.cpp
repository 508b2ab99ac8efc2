#include "proxy/client_pipeline.hpp"

#include "protocol/request_from_parsed.hpp"
#include "proxy/admin_guard.hpp"
#include "proxy/local_answers.hpp"
#include "proxy/options.hpp"
#include "proxy/stats.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace {
constexpr std::size_t kMaxQueuedOutput = 4 * 1024 * 1024;  // stop reading while this much waits for the client
// Multi-get keys awaiting their servers, per --max-client-outstanding request: each costs a Request and its
// Reply until the slot completes, so pipelined gets of 60,000 keys would otherwise hold hundreds of MB.
constexpr std::size_t kKeysPerOutstandingRequest = 8;
}  // namespace

ClientPipeline::ClientPipeline(ClientContext& ctx, const Options& options, WorkerStats& stats, ParserLimits limits)
    : ctx_(&ctx), options_(options), stats_(stats), parser_(limits) {}

ReadAction ClientPipeline::read_action() const noexcept {
  if (closed_ || input_closed_) return ReadAction::stop;
  return paused_ ? ReadAction::pause : ReadAction::read;
}

ReadAction ClientPipeline::feed(std::string_view data) {
  if (closed_ || input_closed_) return ReadAction::stop;
  if (pending_in_.empty()) {
    std::size_t used = process(data);
    if (!input_closed_ && !closed_ && used < data.size()) pending_in_.assign(data.substr(used));
  } else {
    pending_in_.append(data);
    std::size_t used = process(pending_in_);
    if (input_closed_ || closed_) {
      pending_in_.clear();
    } else {
      pending_in_.erase(0, used);
    }
  }
  if (pending_in_.empty() && pending_in_.capacity() > 64 * 1024) pending_in_.shrink_to_fit();
  return read_action();
}

ReadAction ClientPipeline::resume() {
  paused_ = false;
  if (!pending_in_.empty()) {
    std::string buffered;
    buffered.swap(pending_in_);
    return feed(buffered);
  }
  return read_action();
}

bool ClientPipeline::can_resume() const noexcept { return paused_ && !closed_ && !input_closed_ && may_resume(); }

void ClientPipeline::end_input() noexcept {
  input_closed_ = true;
  pending_in_.clear();
}

bool ClientPipeline::over_limit() const noexcept {
  return ring_.output().size() + write_in_flight_ > options_.max_client_queued_bytes;
}

void ClientPipeline::close() noexcept {
  if (closed_) return;
  closed_ = true;
  ctx_ = nullptr;
  input_closed_ = true;
  pending_in_.clear();
  stats_.requests_processing.sub(ring_.drop_all());  // never answered now
}

// Reading pauses when a client reaches any limit and resumes once it is back to half of every one, so a
// client at the edge does not flip between the two on every reply. The check comes before parsing, so one
// request is always let through: a single get larger than the key budget is still served.
bool ClientPipeline::must_pause() const noexcept {
  const std::size_t max_requests = options_.max_client_outstanding;
  return ring_.outstanding() >= max_requests ||
         multiget_keys_inflight_ >= max_requests * kKeysPerOutstandingRequest ||
         ring_.output().size() + write_in_flight_ > kMaxQueuedOutput;
}

bool ClientPipeline::may_resume() const noexcept {
  const std::size_t max_requests = options_.max_client_outstanding;
  return ring_.outstanding() <= max_requests / 2 &&
         multiget_keys_inflight_ <= max_requests * kKeysPerOutstandingRequest / 2 &&
         ring_.output().size() + write_in_flight_ <= kMaxQueuedOutput / 2;
}

std::size_t ClientPipeline::process(std::string_view in) {
  std::size_t off = 0;
  while (off < in.size() && !input_closed_ && !closed_) {
    if (must_pause()) {
      paused_ = true;
      break;
    }
    ParseResult r = parser_.parse(in.substr(off));
    if (r.status == ParseStatus::need_more) break;
    off += r.consumed;
    const ParsedRequest& p = parser_.parsed();
    switch (r.status) {
      case ParseStatus::request:
        dispatch(p);
        break;
      case ParseStatus::reply:
        stats_.client_errors.add();
        if (!p.invalidate_key.empty()) {
          // memcached drops the old item when a set's value is too large; do the same upstream.
          route(make_invalidate_request(p, client_ip_hash_), [](Reply&&, bool) {});
        }
        if (!p.reply.empty()) finish_local(p.reply);
        break;
      case ParseStatus::close:
        input_closed_ = true;
        if (!p.reply.empty()) stats_.client_errors.add();
        finish_local(p.reply, /*close_after=*/true);
        break;
      case ParseStatus::shutdown:
        if (auto refusal = shutdown_reply(options_, p.args); !refusal.empty()) {
          stats_.client_errors.add();
          finish_local(refusal);
        } else if (ctx_) {
          // No reply (as mcrouter and memcached): the proxy drains as on SIGTERM, this client included.
          ctx_->request_shutdown();
        }
        break;
      default:
        break;
    }
  }
  return off;
}

template <typename OnReply>
void ClientPipeline::route(const RequestPtr& req, OnReply&& on_reply) {
  if (!ctx_) return;
  Reply answer;
  if (ctx_->route(req, [self = Ref<ClientPipeline>(this), f = on_reply](Reply&& r) mutable { f(std::move(r), true); },
                  answer)) {
    return;
  }
  on_reply(std::move(answer), false);
}

void ClientPipeline::dispatch(const ParsedRequest& p) {
  switch (p.op) {
    case Op::get: case Op::gets: case Op::gat: case Op::gats:
    case Op::lease_get: case Op::metaget:  // mcrouter's: any number of keys, one part each, then END
      dispatch_retrieval(p);
      return;
    case Op::version:
      stats_.cmd[static_cast<int>(Op::version)].add();
      finish_local("VERSION mcrelay " MCRELAY_VERSION "\r\n");
      return;
    case Op::verbosity:
      // Answered by the proxy (it has no effect on the servers), with memcached's validation.
      stats_.cmd[static_cast<int>(Op::verbosity)].add();
      if (!p.noreply) finish_local("OK\r\n");
      return;
    case Op::stats:
      dispatch_stats(p);
      return;
    case Op::quit:
      input_closed_ = true;
      finish_local({}, /*close_after=*/true);
      return;
    case Op::mn:
      stats_.cmd[static_cast<int>(Op::mn)].add();
      finish_local("MN\r\n");
      return;
    case Op::flush_all:
      dispatch_flush_all(p);
      return;
    default:
      break;
  }
  stats_.cmd[static_cast<int>(p.op)].add();
  RequestPtr req = make_request(p, p.key, client_ip_hash_);
  // Every request takes a slot, in arrival order. A noreply one takes a silent slot: it writes nothing but
  // holds its place, so a later `mn` is answered only after the server answered it (as memcached does), and
  // it counts against --max-client-outstanding like any request waiting for a server.
  std::uint64_t seq = open_slot();
  switch (p.op) {
    case Op::mg: case Op::ms: case Op::md: case Op::ma: case Op::me:
      // Quiet mode is the proxy's job: the server is asked without q (so replies match requests one to
      // one) and the "nothing to report" replies are dropped here, in order.
      route(req, [this, seq, req, quiet = p.quiet](Reply&& r, bool) { on_meta_reply(seq, req, quiet, std::move(r)); });
      return;
    default:  // single-key classic commands: storage, delete, incr/decr, touch, lease-set
      route(req, [this, seq, op = p.op, silent = p.noreply](Reply&& r, bool) {
        on_simple_reply(seq, op, silent, std::move(r));
      });
      return;
  }
}

void ClientPipeline::dispatch_retrieval(const ParsedRequest& p) {
  stats_.cmd[static_cast<int>(p.op)].add(p.keys.size());
  std::uint64_t seq = open_slot();
  if (p.keys.empty()) {  // "gat <exptime>" with no key: memcached answers END
    finish_slot(seq, [](std::string& out) { out.append("END\r\n"); });
    return;
  }
  if (p.keys.size() == 1) {
    RequestPtr req = make_request(p, p.keys[0], client_ip_hash_);
    route(req, [this, seq, req](Reply&& r, bool routed) { on_single_get(seq, req, std::move(r), routed); });
    return;
  }
  // Every key's request exists before the first is routed: a route may answer synchronously.
  MultiGetMerge& merge = ring_.at(seq).multiget;
  merge.start(p.op, p.keys.size());
  multiget_keys_inflight_ += p.keys.size();
  for (std::size_t i = 0; i < p.keys.size(); ++i) merge.set_request(i, make_request(p, p.keys[i], client_ip_hash_));
  for (std::size_t i = 0; i < p.keys.size(); ++i) {
    RequestPtr req = ring_.at(seq).multiget.request(i);
    route(req, [this, seq, i](Reply&& r, bool routed) {
      // mcrouter's multi-get reply: the hits, then the first refused key's error in place of END. The proxy's
      // own answers that are not errors (admin keys: always a hit) are parts like any other.
      if (!routed && is_error(r.result) && !closed_ && ring_.live(seq)) ring_.at(seq).multiget.refused_locally(i);
      on_multi_get_part(seq, i, std::move(r), routed);
    });
  }
}

void ClientPipeline::dispatch_stats(const ParsedRequest& p) {
  stats_.cmd[static_cast<int>(Op::stats)].add();
  if (!options_.enable_admin_keys && stats_needs_admin_keys(p.args)) {
    finish_local(kCommandDisabled);  // lists or names servers (proxy/admin_guard.hpp)
    return;
  }
  // The reply reports the requests_processing gauge: this request joins it only once the reply is rendered
  // (when the servers answer `stats <group>`, after the call).
  std::uint64_t seq = ring_.open();
  if constexpr (kMetricsEnabled) ring_.at(seq).start = std::chrono::steady_clock::now();
  ring_.at(seq).counted = false;
  if (!ctx_) return;
  ctx_->stats(p.args, [self = Ref<ClientPipeline>(this), seq](std::string text) {
    if (self->closed_) return;
    self->finish_slot(seq, [&](std::string& out) { out.append(text); });
  });
  if (ring_.live(seq)) {
    ring_.at(seq).counted = true;
    stats_.requests_processing.add();
  }
}

void ClientPipeline::dispatch_flush_all(const ParsedRequest& p) {
  stats_.cmd[static_cast<int>(Op::flush_all)].add();
  if (!options_.enable_flush_cmd) {
    // mcrouter refuses flush_all unless --enable-flush-cmd (noreply: refused silently).
    stats_.client_errors.add();
    if (!p.noreply) finish_local(kFlushDisabled);
    return;
  }
  std::uint64_t seq = open_slot();  // silent with noreply (see dispatch())
  route(make_request(p, {}, client_ip_hash_), [this, seq, silent = p.noreply](Reply&& r, bool) {
    on_simple_reply(seq, Op::flush_all, silent, std::move(r));
  });
}

std::uint64_t ClientPipeline::open_slot() {
  std::uint64_t seq = ring_.open();
  stats_.requests_processing.add();
  if constexpr (kMetricsEnabled) ring_.at(seq).start = std::chrono::steady_clock::now();
  return seq;
}

void ClientPipeline::finish_local(std::string_view text, bool close_after) {
  std::uint64_t seq = open_slot();
  ring_.at(seq).close_after = close_after;
  finish_slot(seq, [&](std::string& out) { out.append(text); });
}

void ClientPipeline::record_latency(std::uint64_t seq) noexcept {
  if constexpr (kMetricsEnabled) {
    stats_.latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - ring_.at(seq).start)
            .count()));
  }
}

void ClientPipeline::settle(ReplyRing::Released rel) {
  stats_.requests_processing.sub(rel.answered + rel.dropped);
  if (rel.close_after) input_closed_ = true;  // nothing after a quit / fatal line is answered
  if (over_limit()) {
    // The client does not read its replies: stop spending memory on it (the driver closes it).
    log::debug("closing a client that left {} reply bytes unread", ring_.output().size() + write_in_flight_);
  }
  if (ctx_) ctx_->on_progress();
}

}  // namespace mcrelay
