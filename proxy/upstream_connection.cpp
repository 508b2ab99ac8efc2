#include "proxy/upstream_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "protocol/lease_translation.hpp"
#include "protocol/request_writer.hpp"
#include "proxy/server_health.hpp"
#include "proxy/stats.hpp"
#include "util/logging.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

ReplyExpect expect_for(Op op) noexcept {
  if (op == Op::mg || op == Op::ms || op == Op::md || op == Op::ma || op == Op::me || is_lease_op(op)) {
    return ReplyExpect::meta;  // lease-get, lease-set and metaget go upstream as meta commands
  }
  if (op == Op::stats) return ReplyExpect::stats;
  switch (op_kind(op)) {
    case OpKind::get: return ReplyExpect::retrieval;
    case OpKind::update: return ReplyExpect::storage;
    case OpKind::del: return ReplyExpect::deletion;
    case OpKind::arith: return ReplyExpect::arith;
    case OpKind::touch: return ReplyExpect::touch;
    default: return op == Op::version ? ReplyExpect::version : ReplyExpect::ok;
  }
}

}  // namespace

UpstreamConnection::UpstreamConnection(Worker& worker, ServerHealth& health,
                                       std::shared_ptr<DestinationStats> stats, UpstreamSettings settings)
    : worker_(worker),
      health_(health),
      dstats_(std::move(stats)),
      name_(health.name()),
      host_(health.host()),
      port_(health.port()),
      resolver_(worker.io()),
      settings_(settings),
      stream_(asio::ip::tcp::socket(worker.io())),
      timer_(worker.io()),
      connect_timer_(worker.io()) {
  error_code ec;
  auto addr = asio::ip::make_address(host_, ec);
  if (!ec) literal_.emplace_back(addr, port_);
  if (settings_.use_tls && settings_.tls_name.empty()) settings_.tls_name = host_;
  if (settings_.use_tls && !settings_.tls_sessions) settings_.tls_sessions = std::make_shared<TlsSessionCache>();
}

UpstreamConnection::~UpstreamConnection() = default;

void UpstreamConnection::send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) {
  active_ = true;
  if (state_ == State::disconnected) connect();
  auto timeout = std::chrono::milliseconds(opts.timeout_ms ? opts.timeout_ms : settings_.server_timeout_ms);
  auto now = Clock::now();
  auto deadline = now + timeout;
  Op op = req->op;
  bool merged = false;
  if (is_retrieval(op) && entries_.size() > serialized_) {
    Entry& last = entries_.back();
    if (last.op == op && last.exptime == req->exptime && last.count < settings_.max_batch_keys) {
      ++last.count;
      merged = true;
    }
  }
  if (!merged) entries_.push_back(Entry{op, is_retrieval(op) ? req->exptime : 0, 1, deadline});
  subs_.push_back(Sub{req, std::move(done), opts.keep_routing_prefix, now});
  worker_.stats().upstream_requests.add();
  worker_.stats().upstream_cmd[static_cast<int>(op)].add();
  dstats_->requests.add();
  dstats_->pending.add();
  if (!timer_armed_) arm_timer();
  if (state_ == State::connected && !flush_scheduled_) {
    flush_scheduled_ = true;
    worker_.defer_flush(this);
  }
}

void UpstreamConnection::connect() {
  state_ = State::connecting;
  resolve_failed_ = false;
  worker_.stats().upstream_connects.add();
  auto gen = generation_;
  connect_timer_.expires_after(std::chrono::milliseconds(settings_.connect_timeout_ms));
  connect_timer_.async_wait([self = Ref<UpstreamConnection>(this), gen](const error_code& ec) {
    if (ec || gen != self->generation_ || self->state_ != State::connecting) return;
    self->worker_.stats().upstream_connect_errors.add();
    self->reset(Result::connect_timeout, "Connect timeout");
  });
  if (host_.starts_with('/')) {  // "unix:/path" in the config: a Unix domain socket
    stream_ = Stream(Stream::Unix(worker_.io()));
    stream_.unix_socket()->async_connect(asio::local::stream_protocol::endpoint(host_),
                                         [self = Ref<UpstreamConnection>(this), gen](const error_code& ec) {
                                           if (gen == self->generation_) self->on_transport_connected(ec);
                                         });
    return;
  }
  stream_ = Stream(asio::ip::tcp::socket(worker_.io()));
  if (!literal_.empty()) {
    connect_to(literal_);
    return;
  }
  resolver_.async_resolve(host_, std::to_string(port_), asio::ip::tcp::resolver::numeric_service,
                          [self = Ref<UpstreamConnection>(this), gen](const error_code& ec,
                                                                      asio::ip::tcp::resolver::results_type results) {
                            if (gen != self->generation_) return;
                            if (ec || results.empty()) {
                              self->connect_timer_.cancel();
                              self->worker_.stats().upstream_connect_errors.add();
                              self->resolve_failed_ = true;
                              self->reset(Result::connect_error,
                                          "Connection error: cannot resolve " + self->host_ + ": " +
                                              (ec ? ec.message() : std::string("no addresses")));
                              return;
                            }
                            std::vector<asio::ip::tcp::endpoint> eps;
                            for (const auto& r : results) eps.push_back(r.endpoint());
                            self->connect_to(eps);
                          });
}

void UpstreamConnection::connect_to(const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  auto gen = generation_;
  asio::async_connect(*stream_.tcp_socket(), endpoints,
                      [self = Ref<UpstreamConnection>(this), gen](const error_code& ec, const asio::ip::tcp::endpoint&) {
                        if (gen == self->generation_) self->on_transport_connected(ec);
                      });
}

void UpstreamConnection::on_transport_connected(const error_code& ec) {
  if (ec) {
    connect_timer_.cancel();
    worker_.stats().upstream_connect_errors.add();
    log::debug("upstream {}: connect failed: {}", name_, ec.message());
    reset(Result::connect_error, "Connection error: " + ec.message());
    return;
  }
  if (settings_.use_tls) {
    start_tls();  // the connect timer keeps running: it covers the handshake too
    return;
  }
  connect_timer_.cancel();
  on_connected();
}

// The TLS handshake to the server: its certificate checked against --pem-ca-path and the expected name, the
// last session offered for resumption. A failure counts as a connect error (TKO) with OpenSSL's reason.
void UpstreamConnection::start_tls() {
  if (!settings_.tls) {  // the --pem-* files did not load (logged at start-up)
    connect_timer_.cancel();
    worker_.stats().upstream_connect_errors.add();
    reset(Result::connect_error, "TLS error: " + settings_.tls_error);
    return;
  }
  {
    Stream tls(std::move(*stream_.tcp_socket()), settings_.tls);
    stream_ = std::move(tls);
  }
  auto& s = stream_.tls();
  if (!expect_server_name(s, settings_.tls_name)) {
    connect_timer_.cancel();
    worker_.stats().upstream_connect_errors.add();
    reset(Result::connect_error, "TLS error: cannot check the name " + settings_.tls_name);
    return;
  }
  settings_.tls_sessions->offer(s);
  auto gen = generation_;
  stream_.async_handshake(asio::ssl::stream_base::client, [self = Ref<UpstreamConnection>(this), gen](const error_code& ec) {
    if (gen != self->generation_) return;
    self->connect_timer_.cancel();
    if (ec) {
      std::string why = tls_error_text(self->stream_.tls(), ec);
      if (why != self->last_tls_error_) {
        log::warn("upstream {}: TLS handshake failed: {} (expected name {}; CA from --pem-ca-path)", self->name_, why,
                  self->settings_.tls_name);
        self->last_tls_error_ = why;
      } else {
        log::debug("upstream {}: TLS handshake failed: {}", self->name_, why);
      }
      self->settings_.tls_sessions->forget();
      self->worker_.stats().upstream_connect_errors.add();
      self->reset(Result::connect_error, "TLS handshake failed: " + why);
      return;
    }
    self->last_tls_error_.clear();
    const bool resumed = SSL_session_reused(self->stream_.tls().native_handle()) == 1;
    self->worker_.stats().upstream_tls_handshakes.add();
    if (resumed) self->worker_.stats().upstream_tls_resumed.add();
    log::debug("upstream {}: TLS handshake done ({})", self->name_, resumed ? "session resumed" : "new session");
    // TLS 1.2: resumable now. TLS 1.3: the ticket comes after the handshake (kept after the first replies).
    self->tls_session_kept_ = self->settings_.tls_sessions->remember(self->stream_.tls());
    self->on_connected();
  });
}

void UpstreamConnection::on_connected() {
  state_ = State::connected;
  dstats_->connections.add();
  stream_.prepare();
  // The kernel's defaults probe after 2 hours idle; an idle upstream connection to a memcached pod that
  // vanished (node lost, no RST) should be noticed within a minute: by default probe after 30 s idle, every
  // 10 s, give up after 3 unanswered probes (-I, -i, -K change these; -K 0 turns keepalive off).
  if (settings_.keepalive_count > 0 && stream_.tcp_socket() != nullptr) {
    error_code ec;
    stream_.tcp_socket()->set_option(asio::socket_base::keep_alive(true), ec);
    const int fd = stream_.native_handle();
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &settings_.keepalive_idle_s, sizeof(int));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &settings_.keepalive_interval_s, sizeof(int));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &settings_.keepalive_count, sizeof(int));
  }
  peer_ip_ = stream_.kind() == Stream::Kind::unix_socket ? host_ : stream_.remote_ip();
  in_.resize(kReadChunk);
  start_read();
  flush();
}

void UpstreamConnection::flush() {
  flush_scheduled_ = false;
  if (state_ != State::connected || writing_ || serialized_ == entries_.size()) return;
  // Serialize every entry not written yet; its subs follow those of the entries already written.
  std::size_t sub_index = 0;
  for (std::size_t i = 0; i < serialized_; ++i) sub_index += entries_[i].count;
  for (std::size_t i = serialized_; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (is_retrieval(e.op)) {
      append_retrieval_head(out_, e.op, e.exptime);
      for (std::uint32_t k = 0; k < e.count; ++k) append_upstream_key(out_, sub_key(subs_[sub_index + k]));
      out_.append("\r\n");
    } else {
      const Sub& s = subs_[sub_index];
      append_upstream_command(out_, *s.req, s.keep_prefix);
    }
    sub_index += e.count;
  }
  serialized_ = entries_.size();
  write_out();
}

void UpstreamConnection::write_out() {
  writing_ = true;
  error_code ec;
  std::size_t n = stream_.write_some(asio::buffer(out_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    reset(Result::local_error, "Connection error: " + ec.message());
    return;
  }
  if (n == out_.size()) {
    on_write(n);
    return;
  }
  auto gen = generation_;
  stream_.async_write(asio::buffer(out_.data() + n, out_.size() - n),
                    [self = Ref<UpstreamConnection>(this), gen, n](const error_code& ec2, std::size_t m) {
                      if (gen != self->generation_) return;
                      if (ec2) {
                        self->reset(Result::local_error, "Connection error: " + ec2.message());
                        return;
                      }
                      self->on_write(n + m);
                    });
}

void UpstreamConnection::on_write(std::size_t) {
  writing_ = false;
  out_.clear();
  if (out_.capacity() > 1024 * 1024) out_.shrink_to_fit();  // do not keep a big value's buffer forever
  if (serialized_ < entries_.size()) flush();
}

void UpstreamConnection::start_read() {
  if (in_.size() - in_size_ < kReadChunk / 4) in_.resize(in_.size() + kReadChunk);
  auto gen = generation_;
  stream_.async_read_some(asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
                          [self = Ref<UpstreamConnection>(this), gen](const error_code& ec, std::size_t n) {
                            if (gen != self->generation_) return;
                            if (ec) {
                              // (A TLS server's FIN without close_notify is Asio's stream_truncated.)
                              const bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
                              self->reset(Result::local_error, closed
                                                                   ? std::string("Connection closed by server")
                                                                   : "Connection error: " + ec.message());
                              return;
                            }
                            self->on_read(n);
                          });
}

// in_ holds [0, in_size_) unread bytes; reads append after them.
void UpstreamConnection::on_read(std::size_t n) {
  in_size_ += n;
  // A TLS 1.3 server sends its session ticket right after the handshake: it has been read with the first
  // replies, so the other connections to this server can resume from now on.
  if (!tls_session_kept_ && stream_.is_tls()) tls_session_kept_ = settings_.tls_sessions->remember(stream_.tls());
  now_ = Clock::now();
  auto gen = generation_;
  process_replies();
  if (gen != generation_) return;
  if (retiring_ && subs_.empty()) {
    reset(Result::local_error, "destination removed");
    return;
  }
  start_read();
}

void UpstreamConnection::account(const Sub& s, Result r) {
  dstats_->pending.sub();
  dstats_->results[static_cast<int>(r)].add();
  if (!is_transport_error(r)) {
    dstats_->latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now_ - s.sent).count()));
  }
}

void UpstreamConnection::complete_front(Reply&& reply) {
  Sub s = std::move(subs_.front());
  subs_.pop_front();
  --entries_.front().count;
  account(s, reply.result);
  s.done(std::move(reply));
}

void UpstreamConnection::process_replies() {
  const auto gen = generation_;
  std::size_t pos = 0;
  auto protocol_error = [&] {
    worker_.stats().upstream_errors.add();
    log::warn("upstream {}: protocol error in reply stream; resetting connection", name_);
    reset(Result::remote_error, "Protocol error from server");
  };
  while (pos < in_size_) {
    if (entries_.empty() || serialized_ == 0) {
      protocol_error();  // bytes nobody asked for
      return;
    }
    Entry& e = entries_.front();
    std::string_view input(in_.data() + pos, in_size_ - pos);
    auto res = parser_.parse(input, expect_for(e.op));
    if (res.status == ReplyParseStatus::need_more) {
      if (res.need > in_.size()) in_.resize(res.need + kReadChunk);
      break;
    }
    if (res.status == ReplyParseStatus::protocol_error) {
      log::debug("upstream {}: unparsable reply for {}: \"{}\"", name_, op_name(e.op),
                 std::string_view(input.data(), std::min<std::size_t>(input.size(), 80)));
      protocol_error();
      return;
    }
    const ParsedReply& pr = parser_.parsed();
    pos += res.consumed;
    if (res.status == ReplyParseStatus::value) {
      // A key nobody in this command asked for means the stream is out of step: fail everything (as an
      // error, not as misses) before completing anything.
      bool known = false;
      for (std::uint32_t i = 0; i < e.count && !known; ++i) known = sub_key(subs_[i]) == pr.key;
      if (!known) {
        protocol_error();
        return;
      }
      // Items come back in key order, skipping misses: earlier subs without an item are misses.
      bool matched = false;
      while (e.count > 0 && !matched) {
        matched = sub_key(subs_.front()) == pr.key;
        if (matched) {
          Reply hit(Result::found);
          hit.flags = pr.flags;
          hit.cas = pr.cas;
          hit.value.assign(pr.data);
          complete_front(std::move(hit));
        } else {
          complete_front(Reply(Result::not_found));
        }
        if (gen != generation_) return;
      }
      if (!matched) {
        protocol_error();
        return;
      }
      continue;
    }
    // END of a retrieval, or a one-line reply (which, for a retrieval, can only be an error).
    Reply reply(pr.result);
    if (res.status == ReplyParseStatus::line) reply.value.assign(pr.data);
    if (!pr.meta_line.empty()) {
      reply.result = meta_result(e.op, pr.meta_line.substr(0, 2));
      reply.meta_line.assign(pr.meta_line);
      if (is_lease_op(e.op)) {
        translate_lease_reply(e.op, reply, std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch()).count());
        if (e.op == Op::metaget && reply.result == Result::found) reply.value = peer_ip_;  // metaget's "from"
      }
    }
    if (is_error(pr.result)) worker_.stats().upstream_errors.add();
    std::uint32_t n = e.count;
    entries_.pop_front();
    --serialized_;
    for (std::uint32_t i = 0; i < n; ++i) {
      Sub s = std::move(subs_.front());
      subs_.pop_front();
      account(s, reply.result);
      s.done(i + 1 == n ? std::move(reply) : Reply(reply));
      if (gen != generation_) return;
    }
  }
  // Keep unread bytes at the front of the buffer.
  if (pos > 0) {
    health_.record_success();
    std::memmove(in_.data(), in_.data() + pos, in_size_ - pos);
    in_size_ -= pos;
  }
  if (in_size_ == 0 && in_.size() > 4 * kReadChunk) in_.resize(kReadChunk);
}

void UpstreamConnection::arm_timer() {
  if (entries_.empty()) return;
  timer_armed_ = true;
  timer_.expires_at(entries_.front().deadline);
  auto gen = generation_;
  timer_.async_wait([self = Ref<UpstreamConnection>(this), gen](const error_code& ec) {
    if (gen != self->generation_) return;
    self->timer_armed_ = false;
    if (ec) return;
    self->on_timer();
  });
}

void UpstreamConnection::on_timer() {
  if (entries_.empty()) return;
  if (Clock::now() >= entries_.front().deadline) {
    worker_.stats().upstream_timeouts.add();
    log::debug("upstream {}: reply timeout; resetting connection", name_);
    reset(Result::timeout, "Reply timeout");
    return;
  }
  arm_timer();
}

void UpstreamConnection::reset(Result why, std::string_view reason) {
  ++generation_;
  if (why == Result::timeout || why == Result::connect_error || why == Result::connect_timeout) {
    if (health_.record_failure(why)) {
      log::notice("server {} marked down (TKO): {}; failing its requests fast and probing it", name_,
                health_.last_failure());
      worker_.start_probe(health_);
    }
  }
  if (state_ == State::connected) {
    if (why != Result::ok) worker_.stats().upstream_resets.add();  // ok: closed on purpose, not a failure
    dstats_->connections.sub();
  }
  // TLS 1.3 sends its session tickets after the handshake: keep the newest for the next connect.
  if (state_ == State::connected && stream_.is_tls()) settings_.tls_sessions->remember(stream_.tls());
  state_ = State::disconnected;
  stream_.close();
  resolver_.cancel();
  timer_.cancel();
  connect_timer_.cancel();
  timer_armed_ = false;
  writing_ = false;
  flush_scheduled_ = false;
  out_.clear();
  in_size_ = 0;
  std::deque<Sub> failed;
  failed.swap(subs_);
  entries_.clear();
  serialized_ = 0;
  std::string msg(reason);
  now_ = Clock::now();
  for (auto& s : failed) {
    account(s, why);
    s.done(Reply::error(why, msg));
  }
}

void UpstreamConnection::close() { reset(Result::local_error, "Proxy is shutting down"); }

bool UpstreamConnection::close_if_inactive() {
  bool inactive = state_ == State::connected && subs_.empty() && !writing_ && !active_;
  active_ = false;
  if (!inactive) return false;
  reset(Result::ok, "inactive");  // nothing pending: no request is failed
  return true;
}

void UpstreamConnection::retire() {
  retiring_ = true;
  if (subs_.empty()) reset(Result::local_error, "destination removed");
}

}  // namespace mcrelay
