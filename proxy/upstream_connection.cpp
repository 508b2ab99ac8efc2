#include "proxy/upstream_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "proxy/server_health.hpp"
#include "proxy/stats.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

void UpstreamConnection::Accounting::queued(Op op) noexcept {
  worker.upstream_requests.add();
  worker.upstream_cmd[static_cast<int>(op)].add();
  dest.requests.add();
  dest.pending.add();
}

void UpstreamConnection::Accounting::completed(Result result, Clock::duration waited) noexcept {
  dest.pending.sub();
  dest.results[static_cast<int>(result)].add();
  if (!is_transport_error(result)) {
    dest.latency.record(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
  }
}

void UpstreamConnection::Accounting::error_reply() noexcept { worker.upstream_errors.add(); }

UpstreamConnection::UpstreamConnection(UpstreamContext& worker, ServerHealth& health,
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
      connect_timer_(worker.io()),
      accounting_(worker.stats(), *dstats_),
      pipeline_(settings_.max_batch_keys, settings_.server_timeout_ms, &accounting_) {
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
  pipeline_.add(req, opts, std::move(done), Clock::now());
  if (!timer_armed_) arm_timer();
  if (state_ == State::connected && !flush_scheduled_) {
    flush_scheduled_ = true;
    worker_.defer_flush(this);
  }
}

void UpstreamConnection::deliver() {
  for (auto& c : completions_) worker_.defer_completion(std::move(c.done), std::move(c.reply));
  completions_.clear();
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
  pipeline_.set_peer(stream_.kind() == Stream::Kind::unix_socket ? host_ : stream_.remote_ip());
  in_.resize(kReadChunk);
  start_read();
  flush();
}

void UpstreamConnection::flush() {
  flush_scheduled_ = false;
  if (state_ != State::connected || writing_) return;
  if (pipeline_.prepare_write(out_)) write_out();
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
  if (pipeline_.has_unwritten()) flush();
}

void UpstreamConnection::start_read() {
  if (in_.size() - in_size_ < kReadChunk / 4) in_.resize(in_.size() + kReadChunk);
  auto gen = generation_;
  auto on_done = [self = Ref<UpstreamConnection>(this), gen](const error_code& ec, std::size_t n) {
    if (gen != self->generation_) return;
    if (ec) {
      // (A TLS server's FIN without close_notify is Asio's stream_truncated.)
      const bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      self->reset(Result::local_error,
                  closed ? std::string("Connection closed by server") : "Connection error: " + ec.message());
      return;
    }
    self->on_read(n);
  };
  // Asio's read: a plain socket pays a speculative recv that finds nothing while a reply is awaited. A short
  // read cannot stand for "drained" here: a server's FIN that comes with its last bytes brings no edge of
  // its own, and the connection would wait for its reply timeout instead of failing at once. Batching keeps
  // upstream reads at about 0.07 per request (docs/performance.md).
  stream_.async_read_some(asio::buffer(in_.data() + in_size_, in_.size() - in_size_), std::move(on_done));
}

// in_ holds [0, in_size_) unread bytes; reads append after them.
void UpstreamConnection::on_read(std::size_t n) {
  in_size_ += n;
  // A TLS 1.3 server sends its session ticket right after the handshake: it has been read with the first
  // replies, so the other connections to this server can resume from now on.
  if (!tls_session_kept_ && stream_.is_tls()) tls_session_kept_ = settings_.tls_sessions->remember(stream_.tls());
  auto res = pipeline_.consume(std::string_view(in_.data(), in_size_), Clock::now(), completions_);
  deliver();
  if (res.protocol_error) {
    log::debug("upstream {}: {}", name_, res.error);
    worker_.stats().upstream_errors.add();
    log::warn("upstream {}: protocol error in reply stream; resetting connection", name_);
    reset(Result::remote_error, "Protocol error from server");
    return;
  }
  // Keep unread bytes at the front of the buffer.
  if (res.used > 0) {
    health_.record_success();
    std::memmove(in_.data(), in_.data() + res.used, in_size_ - res.used);
    in_size_ -= res.used;
  }
  if (res.need > in_.size()) in_.resize(res.need + kReadChunk);
  if (in_size_ == 0 && in_.size() > 4 * kReadChunk) in_.resize(kReadChunk);
  if (retiring_ && pipeline_.pending() == 0) {
    reset(Result::local_error, "destination removed");
    return;
  }
  start_read();
}

void UpstreamConnection::arm_timer() {
  auto deadline = pipeline_.next_deadline();
  if (!deadline) return;
  timer_armed_ = true;
  timer_.expires_at(*deadline);
  auto gen = generation_;
  timer_.async_wait([self = Ref<UpstreamConnection>(this), gen](const error_code& ec) {
    if (gen != self->generation_) return;
    self->timer_armed_ = false;
    if (ec) return;
    self->on_timer();
  });
}

void UpstreamConnection::on_timer() {
  auto deadline = pipeline_.next_deadline();
  if (!deadline) return;
  if (Clock::now() >= *deadline) {
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
  pipeline_.fail_all(why, reason, Clock::now(), completions_);
  deliver();
}

void UpstreamConnection::close() { reset(Result::local_error, "Proxy is shutting down"); }

bool UpstreamConnection::close_if_inactive() {
  bool inactive = state_ == State::connected && pipeline_.pending() == 0 && !writing_ && !active_;
  active_ = false;
  if (!inactive) return false;
  reset(Result::ok, "inactive");  // nothing pending: no request is failed
  return true;
}

void UpstreamConnection::retire() {
  retiring_ = true;
  if (pipeline_.pending() == 0) reset(Result::local_error, "destination removed");
}

}  // namespace mcrelay
