#include "proxy/client_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "proxy/admin_guard.hpp"
#include "proxy/admin_keys.hpp"
#include "proxy/local_answers.hpp"
#include "protocol/base64.hpp"
#include "protocol/reply_writer.hpp"
#include "proxy/server_stats.hpp"
#include "util/logging.hpp"
#include "proxy/worker.hpp"
#include "routes/fan_out.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t kMaxQueuedOutput = 4 * 1024 * 1024;  // stop reading while this much waits for the client
constexpr int kReadsPerTurn = 8;                          // fairness between clients of one worker
// Multi-get keys awaiting their servers, per --max-client-outstanding request: each costs a Request and its
// Reply until the slot completes, so pipelined gets of 60,000 keys would otherwise hold hundreds of MB.
constexpr std::size_t kKeysPerOutstandingRequest = 8;
}  // namespace

ClientSession::ClientSession(Worker& worker, Stream stream)
    : worker_(worker), stream_(std::move(stream)), parser_(worker.parser_limits()) {}

ClientSession::~ClientSession() = default;

void ClientSession::start() {
  stream_.prepare();
  worker_.stats().curr_connections.add();
  worker_.stats().total_connections.add();
  rbuf_ = std::make_unique<char[]>(kReadBuffer);
  last_active_tick_ = worker_.tick();  // a client that has not sent anything yet is idle from now, not from 0
  if (auto peer = stream_.remote_ip(); !peer.empty()) client_ip_hash_ = client_ip_hash(peer);
  start_read();
}

void ClientSession::start_read() {
  read_state_ = ReadState::waiting;
  stream_.async_read_some(asio::buffer(rbuf_.get(), kReadBuffer),
                          [self = Ref<ClientSession>(this)](const error_code& ec, std::size_t n) {
                            if (self->closed_) return;
                            self->read_state_ = ReadState::idle;
                            if (ec) {
                              // TLS: a TCP FIN without close_notify (a client that half-closes after
                              // its last request) is "stream truncated"; answer it as a plain EOF.
                              if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
                                self->on_eof();
                              } else {
                                self->close();
                              }
                              return;
                            }
                            self->on_data(n);
                          });
}

void ClientSession::on_data(std::size_t n) {
  last_active_tick_ = worker_.tick();
  worker_.stats().bytes_read.add(n);
  consume_input(rbuf_.get(), n);
  if (n == kReadBuffer) drain_socket();  // the buffer filled up: more is probably waiting
  if (closed_ || input_closed_ || read_state_ == ReadState::paused) return;
  start_read();
}

// Reads what the socket holds into the worker's scratch buffer, a bounded number of times (other clients of
// the worker run between rounds because the next async read completes through the queue).
void ClientSession::drain_socket() {
  for (int i = 0; i < kReadsPerTurn; ++i) {
    if (closed_ || input_closed_ || read_state_ == ReadState::paused) return;
    error_code ec;
    std::size_t n = stream_.read_some(asio::buffer(worker_.scratch(), worker_.scratch_size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec || n == 0) {
      if (!ec || ec == asio::error::eof) {
        on_eof();
      } else {
        close();
      }
      return;
    }
    worker_.stats().bytes_read.add(n);
    consume_input(worker_.scratch(), n);
    if (n < worker_.scratch_size()) return;
  }
}

void ClientSession::on_eof() {
  // The client may half-close after its last request: answer what was asked, then close.
  input_closed_ = true;
  pending_in_.clear();
  maybe_close_when_done();
}

void ClientSession::consume_input(const char* data, std::size_t n) {
  if (pending_in_.empty()) {
    std::size_t used = process(std::string_view(data, n));
    if (!input_closed_ && used < n) pending_in_.assign(data + used, n - used);
  } else {
    pending_in_.append(data, n);
    std::size_t used = process(pending_in_);
    if (input_closed_) {
      pending_in_.clear();
    } else {
      pending_in_.erase(0, used);
    }
  }
  if (pending_in_.empty() && pending_in_.capacity() > 64 * 1024) pending_in_.shrink_to_fit();
}

// Reading pauses when a client reaches any limit and resumes once it is back to half of every one, so a
// client at the edge does not flip between the two on every reply. The check comes before parsing, so one
// request is always let through: a single get larger than the key budget is still served.
bool ClientSession::must_pause() const noexcept {
  const std::size_t max_requests = worker_.options().max_client_outstanding;
  return outstanding() >= max_requests ||
         multiget_keys_inflight_ >= max_requests * kKeysPerOutstandingRequest ||
         out_.size() + wbuf_.size() > kMaxQueuedOutput;
}

bool ClientSession::may_resume() const noexcept {
  const std::size_t max_requests = worker_.options().max_client_outstanding;
  return outstanding() <= max_requests / 2 &&
         multiget_keys_inflight_ <= max_requests * kKeysPerOutstandingRequest / 2 &&
         out_.size() + wbuf_.size() <= kMaxQueuedOutput / 2;
}

std::size_t ClientSession::process(std::string_view in) {
  std::size_t off = 0;
  while (off < in.size() && !input_closed_ && !closed_) {
    if (must_pause()) {
      read_state_ = ReadState::paused;
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
        worker_.stats().client_errors.add();
        if (!p.invalidate_key.empty()) {
          // memcached drops the old item when a set's value is too large; do the same upstream (a binary
          // meta key goes as md with its base64 form, which a classic delete could not carry).
          auto del = make_request(p.base64_key ? Op::md : Op::delete_, p.invalidate_key);
          if (p.base64_key) {
            del->base64_key = true;
            del->args = "b";
          }
          route_or_reply(worker_.router(), worker_.options(), del, [](Reply&&) {}, default_prefix_);
        }
        if (!p.reply.empty()) finish_local(p.reply);
        break;
      case ParseStatus::close:
        input_closed_ = true;
        if (!p.reply.empty()) worker_.stats().client_errors.add();
        finish_local(p.reply, /*close_after=*/true);
        break;
      case ParseStatus::shutdown:
        if (auto refusal = shutdown_reply(worker_.options(), p.args); !refusal.empty()) {
          worker_.stats().client_errors.add();
          finish_local(refusal);
        } else {
          // No reply (as mcrouter and memcached): the proxy drains as on SIGTERM, this client included.
          worker_.server().request_shutdown();
        }
        break;
      default:
        break;
    }
  }
  return off;
}

RequestPtr ClientSession::make_request(Op op, std::string_view key) {
  auto req = make_ref<Request>();
  req->op = op;
  req->key.assign(key);
  if (client_ip_hash_) {
    req->has_client_ip = true;
    req->client_ip_hash = *client_ip_hash_;
  }
  return req;
}

void ClientSession::dispatch(const ParsedRequest& p) {
  WorkerStats& st = worker_.stats();
  switch (p.op) {
    case Op::get: case Op::gets: case Op::gat: case Op::gats:
    case Op::lease_get: case Op::metaget:  // mcrouter's: any number of keys, one part each, then END
      dispatch_retrieval(p);
      return;
    case Op::version:
      st.cmd[static_cast<int>(Op::version)].add();
      finish_local("VERSION mcrelay " MCRELAY_VERSION "\r\n");
      return;
    case Op::verbosity:
      // Answered by the proxy (it has no effect on the servers), with memcached's validation.
      st.cmd[static_cast<int>(Op::verbosity)].add();
      if (!p.noreply) finish_local("OK\r\n");
      return;
    case Op::stats:
      st.cmd[static_cast<int>(Op::stats)].add();
      if (!worker_.options().enable_admin_keys && stats_needs_admin_keys(p.args)) {
        finish_local(std::string(kCommandDisabled));  // lists or names servers (proxy/admin_guard.hpp)
        return;
      }
      if (is_server_stats_group(p.args)) {  // asked of the servers (proxy/server_stats.hpp)
        std::uint64_t seq = open_slot();
        bool hide = !worker_.options().enable_admin_keys;
        query_server_stats(worker_, p.args,
                           [self = Ref<ClientSession>(this), seq, hide, group = std::string(p.args)](std::string text) {
          if (self->closed_) return;
          if (hide) text = hide_server_addresses(group, std::move(text));
          self->finish_slot(seq, [&](std::string& out) { out.append(text); });
        });
        return;
      }
      {
        // The proxy's own counters: every worker copies its own on its own thread (proxy/stats_collector.hpp),
        // this one at once, before the slot below opens: the stats request does not count itself as
        // processing (mcrouter's proxy_reqs_processing). The reply comes later, posted.
        const std::uint64_t seq = tail_seq_;  // the slot opened just below
        worker_.server().render_stats(p.args, worker_.io(), [self = Ref<ClientSession>(this), seq](std::string text) {
          if (self->closed_) return;
          self->finish_slot(seq, [&](std::string& out) { out.append(text); });
        });
        open_slot();
      }
      return;
    case Op::quit:
      input_closed_ = true;
      finish_local({}, /*close_after=*/true);
      return;
    case Op::mn:
      st.cmd[static_cast<int>(Op::mn)].add();
      finish_local("MN\r\n");
      return;
    case Op::flush_all:
      dispatch_flush_all(p);
      return;
    case Op::mg: case Op::ms: case Op::md: case Op::ma: case Op::me:
      dispatch_meta(p);
      return;
    default:
      break;
  }
  // Single-key commands: storage, delete, incr/decr, touch.
  st.cmd[static_cast<int>(p.op)].add();
  RequestPtr req = make_request(p.op, p.key);
  req->noreply = p.noreply;
  req->flags = p.flags;
  req->exptime = p.exptime;
  req->cas_unique = p.cas_unique;
  req->delta = p.delta;
  if (is_storage(p.op) || p.op == Op::lease_set) req->value.assign(p.value);
  Op op = p.op;
  // A noreply request takes a silent slot: it writes nothing, but holds its place in the order, so a later
  // `mn` is answered only after the server has answered it (as memcached does), and it counts against
  // --max-client-outstanding like any request waiting for a server.
  std::uint64_t seq = open_slot();
  route_or_reply(worker_.router(), worker_.options(), req,
                 [self = Ref<ClientSession>(this), seq, op, silent = p.noreply](Reply&& r) {
                   self->on_simple_reply(seq, op, silent, std::move(r));
                 }, default_prefix_);
}

void ClientSession::dispatch_retrieval(const ParsedRequest& p) {
  WorkerStats& st = worker_.stats();
  st.cmd[static_cast<int>(p.op)].add(p.keys.size());
  std::uint64_t seq = open_slot();
  if (p.keys.empty()) {  // "gat <exptime>" with no key: memcached answers END
    finish_slot(seq, [](std::string& out) { out.append("END\r\n"); });
    return;
  }
  auto make = [&](std::string_view key) {
    RequestPtr req = make_request(p.op, key);
    req->exptime = p.exptime;
    return req;
  };
  if (p.keys.size() == 1) {
    RequestPtr req = make(p.keys[0]);
    if (Reply admin; is_retrieval(p.op) && answer_admin_key(req->key, worker_, admin)) {
      on_single_get(seq, req, std::move(admin), /*routed=*/false);
      return;
    }
    Reply answer;
    if (RouteHandle* route = route_or_answer(worker_.router(), worker_.options(), *req, answer, default_prefix_)) {
      route->route(req, [self = Ref<ClientSession>(this), seq, req](Reply&& r) {
        self->on_single_get(seq, req, std::move(r), /*routed=*/true);
      });
      return;
    }
    on_single_get(seq, req, std::move(answer), /*routed=*/false);
    return;
  }
  Slot& s = slot(seq);
  s.op = p.op;
  s.waiting = static_cast<std::uint32_t>(p.keys.size());
  multiget_keys_inflight_ += p.keys.size();
  s.reqs.clear();
  s.replies.clear();
  s.replies.resize(p.keys.size());
  s.local_error = kNoLocalError;
  for (auto key : p.keys) s.reqs.push_back(make(key));
  // Route after the slot is complete: a route may answer synchronously.
  for (std::size_t i = 0; i < p.keys.size(); ++i) {
    RequestPtr req = slot(seq).reqs[i];
    if (Reply admin; is_retrieval(p.op) && answer_admin_key(req->key, worker_, admin)) {
      on_multi_get_part(seq, i, std::move(admin), /*routed=*/false);
      continue;
    }
    Reply answer;
    if (RouteHandle* route = route_or_answer(worker_.router(), worker_.options(), *req, answer, default_prefix_)) {
      route->route(req, [self = Ref<ClientSession>(this), seq, i](Reply&& r) {
        self->on_multi_get_part(seq, i, std::move(r), /*routed=*/true);
      });
      continue;
    }
    // mcrouter's multi-get reply: the hits, then the first refused key's error in place of END.
    if (slot(seq).local_error == kNoLocalError) slot(seq).local_error = static_cast<std::uint32_t>(i);
    on_multi_get_part(seq, i, std::move(answer), /*routed=*/false);
  }
}

void ClientSession::dispatch_flush_all(const ParsedRequest& p) {
  worker_.stats().cmd[static_cast<int>(Op::flush_all)].add();
  if (!worker_.options().enable_flush_cmd) {
    // mcrouter refuses flush_all unless --enable-flush-cmd (noreply: refused silently).
    worker_.stats().client_errors.add();
    if (!p.noreply) finish_local(kFlushDisabled);
    return;
  }
  RequestPtr req = make_request(Op::flush_all, {});
  req->args.assign(p.args);
  req->noreply = p.noreply;
  std::uint64_t seq = open_slot();  // silent with noreply (see dispatch())
  // On a pool's own listen address (twemproxy configs), flush_all flushes that pool only.
  std::vector<RouteHandlePtr> one;
  if (auto t = default_prefix_.empty() ? nullptr : worker_.router().tree(default_prefix_)) one.push_back(std::move(t));
  fan_out(one.empty() ? worker_.router().trees() : one, req, [self = Ref<ClientSession>(this), seq, silent = p.noreply](Reply&& r) {
    self->on_simple_reply(seq, Op::flush_all, silent, std::move(r));
  }, FanOutMerge::worst, /*broadcast=*/true);
}

void ClientSession::dispatch_meta(const ParsedRequest& p) {
  worker_.stats().cmd[static_cast<int>(p.op)].add();
  RequestPtr req = make_request(p.op, p.key);  // the decoded key for flag b: that is what is routed
  req->base64_key = p.base64_key;
  req->args = p.meta_flags;
  if (p.op == Op::ms) {
    req->value.assign(p.value);
    req->value_end.assign(p.value_end);
  }
  // Quiet mode is the proxy's job: the server is asked without q (so replies match requests one to one)
  // and the "nothing to report" replies are dropped here, in order; mn then comes after all of them.
  std::uint64_t seq = open_slot();
  bool quiet = p.quiet;
  route_or_reply(worker_.router(), worker_.options(), req, [self = Ref<ClientSession>(this), seq, quiet, req](Reply&& r) {
    self->on_meta_reply(seq, req, quiet, std::move(r));
  }, default_prefix_);
}

namespace {

// The server saw the key without its routing prefix; a returned key (flag k) must be the client's, as a
// classic VALUE line is.
void restore_returned_key(Reply& r, const Request& req) {
  if (req.prefix_len == 0 || r.meta_line.empty()) return;
  std::string client_key = req.base64_key ? base64_encode(req.key) : req.key;
  std::string out;
  std::string_view line = r.meta_line;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= line.size()) {
    auto sp = line.find(' ', pos);
    std::string_view tok = line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    if (!first) out.push_back(' ');
    if (!first && !tok.empty() && tok[0] == 'k') {
      out.push_back('k');
      out += client_key;
    } else {
      out.append(tok);
    }
    first = false;
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  r.meta_line = std::move(out);
}

}  // namespace

void ClientSession::on_meta_reply(std::uint64_t seq, const RequestPtr& req, bool quiet, Reply&& r) {
  const Op op = req->op;
  worker_.stats().count_reply(op, r.result);
  if (closed_) return;
  restore_returned_key(r, *req);
  finish_slot(seq, [&](std::string& out) {
    if (!(quiet && quiet_suppresses(op, r))) append_meta_reply(out, op, r);
  });
}

void ClientSession::on_single_get(std::uint64_t seq, const RequestPtr& req, Reply&& r, bool routed) {
  WorkerStats& st = worker_.stats();
  st.count_reply(req->op, r.result);
  if (closed_) return;
  if (is_hit(r.result)) st.get_hits.add();
  else if (is_miss(r.result)) st.get_misses.add();
  else st.get_errors.add();
  if (routed) apply_miss_on_get_errors(worker_.options(), r);
  finish_slot(seq, [&](std::string& out) {
    if (is_error(r.result)) {
      append_error(out, r);
      return;
    }
    append_item(out, req->op, req->key, r);
    out.append("END\r\n");
  });
}

void ClientSession::on_multi_get_part(std::uint64_t seq, std::size_t index, Reply&& r, bool routed) {
  WorkerStats& st = worker_.stats();
  --multiget_keys_inflight_;
  if (closed_) return;
  st.count_reply(slot(seq).op, r.result);
  if (is_hit(r.result)) st.get_hits.add();
  else if (is_miss(r.result)) st.get_misses.add();
  else st.get_errors.add();
  if (routed) apply_miss_on_get_errors(worker_.options(), r);
  Slot& s = slot(seq);
  s.replies[index] = std::move(r);
  if (--s.waiting > 0) return;
  // Keys whose server failed are left out (they read as misses) unless every key failed: then the client
  // gets the error, as for a single-key get. Documented in docs/protocol.md.
  bool all_failed = true;
  for (const auto& rep : s.replies) all_failed = all_failed && is_error(rep.result);
  finish_slot(seq, [&](std::string& out) {
    Slot& sl = slot(seq);
    if (all_failed && sl.local_error == kNoLocalError) {
      append_error(out, sl.replies.front());
    } else {
      for (std::size_t i = 0; i < sl.replies.size(); ++i) {
        append_item(out, sl.op, sl.reqs[i]->key, sl.replies[i]);
      }
      // A key the proxy refused (too long, unknown routing prefix) ends the reply with its error, as in
      // mcrouter; a server's failure reads as a miss.
      if (sl.local_error != kNoLocalError) {
        append_error(out, sl.replies[sl.local_error]);
      } else {
        out.append("END\r\n");
      }
    }
    sl.reqs.clear();
    sl.replies.clear();
  });
}

void ClientSession::on_simple_reply(std::uint64_t seq, Op op, bool silent, Reply&& r) {
  worker_.stats().count_reply(op, r.result);
  if (closed_) return;
  apply_miss_on_arith_errors(worker_.options(), op, r);
  finish_slot(seq, [&](std::string& out) {
    if (!silent) append_reply(out, op, r);
  });
}

std::uint64_t ClientSession::open_slot() {
  if (ring_.empty()) ring_.resize(4);
  if (outstanding() == ring_.size()) {
    // Grow, keeping each live slot at seq & (size - 1).
    std::vector<Slot> bigger(ring_.size() * 2);
    for (std::uint64_t s = head_seq_; s < tail_seq_; ++s) bigger[s & (bigger.size() - 1)] = std::move(slot(s));
    ring_.swap(bigger);
  }
  std::uint64_t seq = tail_seq_++;
  worker_.stats().requests_processing.add();
  Slot& s = slot(seq);
  if constexpr (kMetricsEnabled) s.start = std::chrono::steady_clock::now();
  s.ready = false;
  s.close_after = false;
  s.out.clear();
  s.waiting = 0;
  return seq;
}

void ClientSession::finish_local(std::string_view text, bool close_after) {
  std::uint64_t seq = open_slot();
  slot(seq).close_after = close_after;
  finish_slot(seq, [&](std::string& out) { out.append(text); });
}

template <typename Writer>
void ClientSession::finish_slot(std::uint64_t seq, Writer&& write) {
  Slot& s = slot(seq);
  if constexpr (kMetricsEnabled) {
    worker_.stats().latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s.start).count()));
  }
  if (seq == head_seq_) {
    write(out_);  // the oldest outstanding reply goes straight to the output buffer
    s.ready = true;
    s.out.clear();
    drain_ready();
  } else {
    write(s.out);
    s.ready = true;
  }
}

void ClientSession::drain_ready() {
  bool close_after = false;
  while (head_seq_ < tail_seq_ && slot(head_seq_).ready) {
    Slot& s = slot(head_seq_);
    if (!s.out.empty()) {
      out_.append(s.out);
      s.out.clear();
      if (s.out.capacity() > 64 * 1024) s.out.shrink_to_fit();
    }
    s.ready = false;
    ++head_seq_;
    worker_.stats().requests_processing.sub();
    if (s.close_after) {
      close_after = true;
      break;
    }
  }
  if (close_after) {
    // Nothing after a quit / fatal line is answered: drop the rest.
    input_closed_ = true;
    worker_.stats().requests_processing.sub(outstanding());
    head_seq_ = tail_seq_;
  }
  if (out_.size() + wbuf_.size() > worker_.options().max_client_queued_bytes) {
    // The client does not read its replies: stop spending memory on it.
    log::debug("closing a client that left {} reply bytes unread", out_.size() + wbuf_.size());
    close();
    return;
  }
  schedule_flush();
  maybe_resume();
}

void ClientSession::schedule_flush() {
  if (flush_pending_ || closed_) return;
  flush_pending_ = true;
  worker_.defer_flush(this);
}

void ClientSession::flush() {
  flush_pending_ = false;
  if (closed_ || writing_) return;
  if (out_.empty()) {
    maybe_close_when_done();
    return;
  }
  error_code ec;
  std::size_t n = stream_.write_some(asio::buffer(out_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    close();
    return;
  }
  worker_.stats().bytes_written.add(n);
  if (n == out_.size()) {
    out_.clear();
    if (out_.capacity() > 256 * 1024) out_.shrink_to_fit();
    on_write_done();
    return;
  }
  // The socket is full: hand the rest to an async write and keep collecting replies in out_.
  writing_ = true;
  wbuf_.assign(out_, n);
  out_.clear();
  stream_.async_write(asio::buffer(wbuf_), [self = Ref<ClientSession>(this)](const error_code& e, std::size_t m) {
    if (self->closed_) return;
    if (e) {
      self->close();
      return;
    }
    self->worker_.stats().bytes_written.add(m);
    self->writing_ = false;
    self->wbuf_.clear();
    if (self->wbuf_.capacity() > 256 * 1024) self->wbuf_.shrink_to_fit();
    if (!self->out_.empty()) {
      self->flush();
    } else {
      self->on_write_done();
    }
  });
}

void ClientSession::on_write_done() {
  maybe_resume();
  maybe_close_when_done();
}

void ClientSession::maybe_resume() {
  if (read_state_ != ReadState::paused || closed_ || input_closed_) return;
  if (!may_resume()) return;
  read_state_ = ReadState::idle;
  // Requests already buffered come first; then the socket (which may hold data that arrived while paused).
  asio::post(worker_.io(), [self = Ref<ClientSession>(this)] {
    if (self->closed_ || self->read_state_ != ReadState::idle) return;
    if (!self->pending_in_.empty()) {
      std::string buffered;
      buffered.swap(self->pending_in_);
      self->consume_input(buffered.data(), buffered.size());
      if (self->read_state_ == ReadState::paused || self->input_closed_ || self->closed_) return;
    }
    self->start_read();
  });
}

void ClientSession::maybe_close_when_done() {
  if (closed_ || !input_closed_) return;
  if (outstanding() == 0 && out_.empty() && !writing_) close();
}

void ClientSession::drain() {
  input_closed_ = true;
  pending_in_.clear();
  maybe_close_when_done();
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  worker_.stats().requests_processing.sub(outstanding());  // never answered now
  stream_.close();
  worker_.stats().curr_connections.sub();
  worker_.session_closed(this);
}

}  // namespace mcrelay
