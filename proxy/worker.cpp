#include "proxy/worker.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "proxy/client_session.hpp"
#include "proxy/delete_spool.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/tls_accept.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;

void Worker::write(std::string_view line) noexcept { log::notice("{}", line); }

void Worker::run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
    if (!ec) fn();
  });
}
using boost::system::error_code;

Worker::Worker(unsigned id, ProxyServer& server, const Options& options)
    : id_(id),
      server_(server),
      options_(options),
      // One thread runs this io_context; other threads only post to it. Reactor I/O locking is not needed.
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      scratch_(64 * 1024),
      rng_state_(0x9e3779b97f4a7c15ull * (id + 1)) {
  limits_.max_item_size = options.max_item_size;
}

Worker::~Worker() = default;

void Worker::add_acceptor(asio::ip::tcp::acceptor acceptor, std::string default_prefix) {
  acceptors_.push_back(std::move(acceptor));
  acceptor_prefixes_.push_back(std::move(default_prefix));
  acceptor_tls_.push_back(false);
}

void Worker::add_tls_acceptor(asio::ip::tcp::acceptor acceptor) {
  acceptors_.push_back(std::move(acceptor));
  acceptor_prefixes_.emplace_back();
  acceptor_tls_.push_back(true);
}

void Worker::add_unix_acceptor(asio::local::stream_protocol::acceptor acceptor, std::string default_prefix) {
  unix_acceptors_.push_back(std::move(acceptor));
  unix_acceptor_prefixes_.push_back(std::move(default_prefix));
}

void Worker::install_config(std::shared_ptr<const LoadedConfig> config) {
  if (!thread_.joinable()) {
    apply_config(std::move(config));  // before start(): this thread is the only one touching the worker
    return;
  }
  asio::post(io_, [this, config = std::move(config)]() mutable { apply_config(std::move(config)); });
}

void Worker::apply_config(std::shared_ptr<const LoadedConfig> config) {
  // The config was validated on the control thread; building it here only creates this worker's handles.
  try {
    used_destinations_.clear();
    auto router = std::make_unique<Router>(config->config, *this, config->route_prefix,
                                           options_.big_value_split_threshold);
    router_ = std::move(router);  // in-flight requests finish on the old tree, which keeps what it uses
    config_ = std::move(config);
    std::sort(used_destinations_.begin(), used_destinations_.end());
    for (auto it = destinations_.begin(); it != destinations_.end();) {
      if (std::binary_search(used_destinations_.begin(), used_destinations_.end(), it->first)) {
        ++it;
      } else {
        log::debug("worker {}: dropping destination {} (not in the new config)", id_, it->first);
        it = destinations_.erase(it);
      }
    }
    drop_probes_of_removed_servers();
  } catch (const std::exception& e) {
    log::error("worker {}: could not apply config: {}", id_, e.what());
  }
}

std::shared_ptr<Destination> Worker::destination(const config::ServerAddress& server,
                                                 const config::PoolConfig& pool) {
  UpstreamSettings settings;
  settings.server_timeout_ms = pool.server_timeout_ms.value_or(options_.server_timeout_ms);
  settings.connect_timeout_ms = pool.connect_timeout_ms.value_or(options_.connect_timeout_ms);
  settings.keepalive_count = options_.keepalive_count;
  settings.keepalive_interval_s = options_.keepalive_interval_s;
  settings.keepalive_idle_s = options_.keepalive_idle_s;
  const bool use_ssl = server.use_ssl || pool.use_ssl;
  if (use_ssl) {
    settings.use_tls = true;
    settings.tls = server_.client_tls_context();
    settings.tls_error = server_.client_tls_error();
    settings.tls_name = options_.ssl_service_identity.empty() ? server.host : options_.ssl_service_identity;
    // One session cache per server on this worker, kept across reloads (a new timeout makes a new
    // destination, but the server is the same: its session still resumes).
    auto& known = tls_servers_[server.text];
    settings.tls_sessions = known.tls_sessions ? known.tls_sessions : std::make_shared<TlsSessionCache>();
    known = settings;
  }
  // The same server with the same settings shares connections across pools and across reloads.
  std::string key = fmt::format("{}|{}|{}{}", server.text, settings.server_timeout_ms, settings.connect_timeout_ms,
                                use_ssl ? "|tls" : "");
  used_destinations_.push_back(key);
  auto it = destinations_.find(key);
  if (it != destinations_.end()) return it->second;
  ServerHealth& health = server_.health().get(server.text, server.host, server.port);
  // twemproxy pools: eject after server_failure_limit failures, retry every server_retry_timeout ms.
  if (auto fl = pool.raw.find("server_failure_limit"), rt = pool.raw.find("server_retry_timeout");
      fl != pool.raw.end() && rt != pool.raw.end() && fl->is_number_unsigned() && rt->is_number_unsigned()) {
    health.set_twemproxy_limits(fl->get<unsigned>(), rt->get<std::uint32_t>());
  }
  auto dest = std::make_shared<UpstreamDestination>(*this, health, settings, options_.connections_per_server);
  dest->set_spool(server_.spool());
  destinations_.emplace(key, dest);
  return dest;
}

std::vector<std::shared_ptr<Destination>> Worker::server_destinations() const {
  std::vector<std::shared_ptr<Destination>> out;
  std::string last;
  for (const auto& [_, dest] : destinations_) {  // keyed "server|timeouts": one server's entries are adjacent
    if (!out.empty() && dest->name() == last) continue;
    last = dest->name();
    out.push_back(dest);
  }
  return out;
}

UpstreamSettings Worker::settings_for(const ServerHealth& health) const {
  UpstreamSettings settings;
  if (auto it = tls_servers_.find(health.name()); it != tls_servers_.end()) settings = it->second;
  settings.server_timeout_ms = options_.server_timeout_ms;
  settings.connect_timeout_ms = options_.connect_timeout_ms;
  return settings;
}

void Worker::start() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) accept_next(i);
  for (std::size_t i = 0; i < unix_acceptors_.size(); ++i) accept_next_unix(i);
  if (options_.idle_timeout_ms > 0) {
    idle_timer_ = std::make_unique<asio::steady_timer>(io_);
    sweep_idle();
  }
  if (options_.reset_inactive_connection_interval_ms > 0) {
    inactive_timer_ = std::make_unique<asio::steady_timer>(io_);
    sweep_inactive_upstreams();
  }
  thread_ = std::thread([this] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      log::error("worker {}: event loop stopped: {}", id_, e.what());
    }
  });
}

void Worker::accept_next(std::size_t index) {
  acceptors_[index].async_accept([this, index](const error_code& ec, asio::ip::tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // EMFILE/ENFILE and friends: back off briefly instead of spinning on a listener that stays readable,
      // and say so once per episode (every 100 ms would flood the log exactly when the proxy is in trouble).
      if (accept_failures_++ == 0) {
        log::warn("worker {}: accept failed: {}; retrying every 100 ms (logged again once accepting recovers)", id_,
                  ec.message());
      }
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, index, timer](const error_code&) {
        if (!stopping_) accept_next(index);
      });
      return;
    }
    if (accept_failures_ > 0) {
      log::warn("worker {}: accepting again after {} failed accepts", id_, accept_failures_);
      accept_failures_ = 0;
    }
    if (!server_.admit_connection()) {
      // --max-conns reached: refuse this one (accepting and closing keeps the backlog from filling up).
      stats_.rejected_connections.add();
      error_code ignored;
      socket.close(ignored);
      accept_next(index);
      return;
    }
    start_session(Stream(std::move(socket)), acceptor_prefixes_[index], acceptor_tls_[index]);
    accept_next(index);
  });
}

void Worker::accept_next_unix(std::size_t index) {
  unix_acceptors_[index].async_accept([this, index](const error_code& ec, asio::local::stream_protocol::socket socket) {
    if (stopping_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::warn("worker {}: accept on the Unix socket failed: {}; retrying in 100 ms", id_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, index, timer](const error_code&) {
        if (!stopping_) accept_next_unix(index);
      });
      return;
    }
    if (!server_.admit_connection()) {
      stats_.rejected_connections.add();
      error_code ignored;
      socket.close(ignored);
    } else {
      start_session(Stream(std::move(socket)), unix_acceptor_prefixes_[index], false);
    }
    accept_next_unix(index);
  });
}

void Worker::start_session(Stream stream, const std::string& default_prefix, bool tls) {
  if (tls) {
    auto ctx = server_.server_tls_context();
    auto* socket = stream.tcp_socket();
    Stream tls_stream(std::move(*socket), std::move(ctx));
    tls_accept(io_, std::move(tls_stream), std::chrono::milliseconds(options_.tls_handshake_timeout_ms),
               [this](Stream ready) {
                 stats_.tls_handshakes.add();
                 if (stopping_) {
                   ready.close();
                   server_.release_connection();
                   return;
                 }
                 start_session(std::move(ready), {}, false);
               },
               [this](const std::string& why) {
                 server_.release_connection();
                 stats_.tls_handshake_failures.add();
                 log::debug("worker {}: TLS handshake with a client failed: {}", id_, why);
               });
    return;
  }
  auto session = make_ref<ClientSession>(*this, std::move(stream));
  if (!default_prefix.empty()) session->set_default_prefix(default_prefix);
  sessions_.push_back(session.get());
  session->add_ref();  // the worker's reference, dropped in session_closed()
  session->start();
}

void Worker::session_closed(ClientSession* session) {
  server_.release_connection();
  for (auto& s : sessions_) {
    if (s == session) {
      s = sessions_.back();
      sessions_.pop_back();
      break;
    }
  }
  // Drop the worker's reference once the current handler is done with the session: it moves to a list
  // the worker owns (cleared on the next loop turn, or when the worker goes), so a loop stopped right after
  // a close (drain, stop) cannot leak it.
  closed_sessions_.emplace_back(session);
  session->release();  // the list holds the worker's reference now
  if (!closed_posted_) {
    closed_posted_ = true;
    asio::post(io_, [this] {
      closed_posted_ = false;
      closed_sessions_.clear();
    });
  }
}

void Worker::defer_flush(UpstreamConnection* conn) {
  dirty_upstreams_.emplace_back(conn);
  if (!deferred_posted_) {
    deferred_posted_ = true;
    asio::post(io_, [this] { run_deferred(); });
  }
}

void Worker::defer_flush(ClientSession* session) {
  dirty_sessions_.emplace_back(session);
  if (!deferred_posted_) {
    deferred_posted_ = true;
    asio::post(io_, [this] { run_deferred(); });
  }
}

void Worker::defer_completion(ReplyFn done, Reply reply) {
  completions_.emplace_back(std::move(done), std::move(reply));
  if (!deferred_posted_) {
    deferred_posted_ = true;
    asio::post(io_, [this] { run_deferred(); });
  }
}

void Worker::run_deferred() {
  // Completions first (they answer routes, which may send more), then requests (they go upstream), then
  // replies. Each step can queue more; loop until quiet (defer_* do not post again meanwhile).
  deferred_posted_ = true;
  while (!completions_.empty() || !dirty_upstreams_.empty() || !dirty_sessions_.empty()) {
    while (!completions_.empty()) {
      running_completions_.swap(completions_);
      for (auto& [done, reply] : running_completions_) done(std::move(reply));
      running_completions_.clear();
    }
    std::vector<Ref<UpstreamConnection>> ups;
    ups.swap(dirty_upstreams_);
    for (auto& u : ups) u->flush();
    std::vector<Ref<ClientSession>> sessions;
    sessions.swap(dirty_sessions_);
    for (auto& s : sessions) s->flush();
  }
  deferred_posted_ = false;
}

struct Worker::Probe {
  Probe(Worker& w, ServerHealth& h, UpstreamSettings s)
      : health(h), conn(make_ref<UpstreamConnection>(w, h, w.stats().destination(h.name()), s)), timer(w.io()) {}
  ServerHealth& health;
  Ref<UpstreamConnection> conn;
  asio::steady_timer timer;
  std::chrono::milliseconds delay{0};      // the probe backoff: -r, doubling up to --probe-timeout-max
  std::chrono::milliseconds reconnect{0};  // while nothing accepts connections: kReconnectFirst, doubling
};

namespace {

// A down server whose connects are refused (or time out) is most likely restarting: it is tried again soon,
// so that it is used again as soon as it accepts a connection (a killed memcached restarted by its
// supervisor is back within a second). A refused connect costs a SYN and a RST; at most 4 a second per
// worker and server. The probe backoff (-r ... --probe-timeout-max) still paces a server that accepts
// connections but does not answer. docs/operations.md ("Servers marked down").
constexpr std::chrono::milliseconds kReconnectFirst{50};
constexpr std::chrono::milliseconds kReconnectMax{250};

bool nothing_listens(Result r) noexcept { return r == Result::connect_error || r == Result::connect_timeout; }

}  // namespace

void Worker::start_probe(ServerHealth& health) {
  if (stopping_ || probes_.contains(&health)) return;
  UpstreamSettings settings;
  settings = settings_for(health);
  auto probe = std::make_unique<Probe>(*this, health, settings);
  probe->delay = std::chrono::milliseconds(
      std::max<std::uint32_t>(1, health.retry_ms() ? health.retry_ms() : options_.probe_timeout_initial_ms));
  probe->reconnect = std::min(kReconnectFirst, probe->delay);
  Probe& ref = *probe;
  probes_.emplace(&health, std::move(probe));
  // twemproxy pools keep their fixed server_retry_timeout: an ejected server stays out that long.
  bool fast = health.retry_ms() == 0 && nothing_listens(health.last_failure_result());
  schedule_probe(ref, fast ? ref.reconnect : ref.delay);
}

void Worker::drop_probes_of_removed_servers() {
  // A server that left the config is no longer probed (a discovered pod that came back under a new address
  // would otherwise leave a probe to its old one forever). It is also forgotten as down, so that a later
  // config that names it again starts afresh: if it still fails, it is marked down again, with a probe.
  for (auto it = probes_.begin(); it != probes_.end();) {
    const std::string& name = it->first->name();
    bool used = std::any_of(destinations_.begin(), destinations_.end(),
                            [&](const auto& d) { return d.second->name() == name; });
    if (used) {
      ++it;
      continue;
    }
    log::debug("worker {}: no longer probing {} (not in the config)", id_, name);
    it->first->mark_up();
    it->second->timer.cancel();
    // A probe request may be in flight: its callback finds no entry and returns; close once it has run.
    asio::post(io_, [p = std::shared_ptr<Probe>(std::move(it->second))] { p->conn->close(); });
    it = probes_.erase(it);
  }
}

void Worker::schedule_probe(Probe& probe, std::chrono::milliseconds delay) {
  // Jitter of +-20% so that proxies that lost a server together do not probe it in lockstep.
  rng_state_ ^= rng_state_ << 13;
  rng_state_ ^= rng_state_ >> 7;
  rng_state_ ^= rng_state_ << 17;
  double factor = 0.8 + 0.4 * static_cast<double>(rng_state_ % 1000) / 1000.0;
  probe.timer.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(delay.count() * factor)));
  probe.timer.async_wait([this, &probe](const error_code& ec) {
    if (ec || stopping_) return;
    run_probe(probe);
  });
}

void Worker::run_probe(Probe& probe) {
  auto req = make_ref<Request>();
  req->op = Op::version;
  ServerHealth* health = &probe.health;
  probe.conn->send(req, SendOptions{}, [this, health](Reply&& r) {
    auto it = probes_.find(health);
    if (it == probes_.end() || stopping_) return;
    Probe& p = *it->second;
    if (r.result == Result::found) {
      health->mark_up();
      log::notice("server {} is back up (answered a probe)", health->name());
      replay_deletes(*health);
      // Keep the probe object alive until this callback has returned.
      auto done = std::move(it->second);
      probes_.erase(it);
      asio::post(io_, [done = std::shared_ptr<Probe>(std::move(done))] { done->conn->close(); });
      return;
    }
    if (p.health.retry_ms() == 0 && nothing_listens(r.result) && !p.conn->resolve_failed()) {
      // Still nothing accepting: try again soon (see kReconnectFirst); the probe backoff is left as it was.
      p.reconnect = std::min({p.reconnect * 2, kReconnectMax, p.delay});
      schedule_probe(p, p.reconnect);
      return;
    }
    auto max = std::chrono::milliseconds(std::max(options_.probe_timeout_max_ms, options_.probe_timeout_initial_ms));
    if (p.health.retry_ms() == 0) p.delay = std::min(p.delay * 2, max);  // twemproxy pools: a fixed interval
    p.reconnect = std::min(kReconnectFirst, p.delay);
    schedule_probe(p, p.delay);
  });
  probe.conn->flush();
}

void Worker::sweep_idle() {
  // A coarse clock: sessions note the tick of their last read; one timer per worker closes the idle ones.
  idle_timer_->expires_after(std::chrono::seconds(1));
  idle_timer_->async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    ++tick_;
    std::uint64_t limit = std::max<std::uint64_t>(1, (options_.idle_timeout_ms + 999) / 1000);
    auto sessions = sessions_;
    for (auto* s : sessions) {
      if (tick_ - s->last_active_tick() > limit && s->idle()) s->close();
    }
    sweep_idle();
  });
}

void Worker::sweep_inactive_upstreams() {
  inactive_timer_->expires_after(std::chrono::milliseconds(options_.reset_inactive_connection_interval_ms));
  inactive_timer_->async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    std::size_t closed = 0;
    for (auto& [_, d] : destinations_) closed += d->close_inactive();
    if (closed > 0) log::debug("worker {}: closed {} inactive upstream connection{}", id_, closed, closed == 1 ? "" : "s");
    sweep_inactive_upstreams();
  });
}

void Worker::drain(std::chrono::milliseconds timeout, std::function<void()> done) {
  asio::post(io_, [this, timeout, done = std::move(done)]() mutable {
    stopping_ = true;
    drain_done_ = std::move(done);
    drain_deadline_ = std::chrono::steady_clock::now() + timeout;
    error_code ec;
    for (auto& a : acceptors_) a.close(ec);
    for (auto& a : unix_acceptors_) a.close(ec);
    auto sessions = sessions_;
    for (auto* s : sessions) s->drain();
    drain_timer_ = std::make_unique<asio::steady_timer>(io_);
    finish_drain();
  });
}

void Worker::finish_drain() {
  if (!sessions_.empty() && std::chrono::steady_clock::now() < drain_deadline_) {
    drain_timer_->expires_after(std::chrono::milliseconds(10));
    drain_timer_->async_wait([this](const error_code&) { finish_drain(); });
    return;
  }
  if (!sessions_.empty()) log::warn("worker {}: drain timeout; closing {} connections", id_, sessions_.size());
  auto sessions = sessions_;
  for (auto* s : sessions) s->close();
  for (auto& [_, d] : destinations_) d->close();
  for (auto& [_, p] : probes_) {
    p->timer.cancel();
    p->conn->close();
  }
  if (idle_timer_) idle_timer_->cancel();
  if (inactive_timer_) inactive_timer_->cancel();
  run_deferred();  // the requests failed by the closes above are answered (a spooled delete is kept)
  finished_.store(true, std::memory_order_relaxed);
  if (drain_done_) drain_done_();
  io_.stop();
}

void Worker::replay_deletes(ServerHealth& health) {
  DeleteSpool* spool = server_.spool();
  if (!spool || stopping_) return;
  auto batch = std::make_shared<DeleteSpool::Batch>(spool->take(health.name()));
  const auto& keys = batch->keys;
  if (keys.empty()) return;
  log::info("replaying {} spooled delete{} to {}", keys.size(), keys.size() == 1 ? "" : "s", health.name());
  UpstreamSettings settings = settings_for(health);
  auto conn = make_ref<UpstreamConnection>(*this, health, stats_.destination(health.name()), settings);
  auto remaining = std::make_shared<std::size_t>(keys.size());
  std::string server = health.name();
  for (auto& key : keys) {
    auto req = make_ref<Request>();
    req->op = Op::delete_;
    req->key = key;
    conn->send(req, SendOptions{}, [this, spool, server, key, remaining, conn, batch](Reply&& r) {
      if (is_transport_error(r.result)) spool->append(server, key);
      if (--*remaining > 0) return;
      spool->finish(*batch);  // every delete answered (or spooled anew): the batch file can go
      asio::post(io_, [conn] { conn->close(); });
    });
  }
}

void Worker::stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    error_code ec;
    for (auto& a : acceptors_) a.close(ec);
    for (auto& a : unix_acceptors_) a.close(ec);
    auto sessions = sessions_;
    for (auto* s : sessions) s->close();
    for (auto& [_, d] : destinations_) d->close();
    for (auto& [_, p] : probes_) {
      p->timer.cancel();
      p->conn->close();
    }
    run_deferred();  // the requests failed by the closes above are answered (a spooled delete is kept)
    io_.stop();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace mcrelay
