#include "proxy/destination_map.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "proxy/delete_spool.hpp"
#include "proxy/upstream_connection.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

struct DestinationMap::Probe {
  Probe(UpstreamContext& w, WorkerStats& stats, asio::io_context& io, ServerHealth& h, UpstreamSettings s)
      : health(h), conn(make_ref<UpstreamConnection>(w, h, stats.destination(h.name()), s)), timer(io) {}
  ServerHealth& health;
  Ref<UpstreamConnection> conn;
  asio::steady_timer timer;
  std::chrono::milliseconds delay{0};      // the probe backoff: -r, doubling up to --probe-timeout-max
  std::chrono::milliseconds reconnect{0};  // while nothing accepts connections: kReconnectFirst, doubling
};

DestinationMap::DestinationMap(UpstreamContext& worker, ServerContext& server, const Options& options,
                               WorkerStats& stats, asio::io_context& io, unsigned id)
    : worker_(worker),
      server_(server),
      options_(options),
      stats_(stats),
      io_(io),
      id_(id),
      rng_state_(0x9e3779b97f4a7c15ull * (id + 1)) {}

DestinationMap::~DestinationMap() = default;

void DestinationMap::end_config() {
  std::sort(used_.begin(), used_.end());
  for (auto it = destinations_.begin(); it != destinations_.end();) {
    if (std::binary_search(used_.begin(), used_.end(), it->first)) {
      ++it;
    } else {
      log::debug("worker {}: dropping destination {} (not in the new config)", id_, it->first);
      it = destinations_.erase(it);
    }
  }
  drop_probes_of_removed_servers();
}

std::shared_ptr<Destination> DestinationMap::get(const config::ServerAddress& server, const config::PoolConfig& pool) {
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
  used_.push_back(key);
  auto it = destinations_.find(key);
  if (it != destinations_.end()) return it->second;
  ServerHealth& health = server_.health().get(server.text, server.host, server.port);
  // twemproxy pools: eject after server_failure_limit failures, retry every server_retry_timeout ms.
  if (auto fl = pool.raw.find("server_failure_limit"), rt = pool.raw.find("server_retry_timeout");
      fl != pool.raw.end() && rt != pool.raw.end() && fl->is_number_unsigned() && rt->is_number_unsigned()) {
    health.set_twemproxy_limits(fl->get<unsigned>(), rt->get<std::uint32_t>());
  }
  auto dest = std::make_shared<UpstreamDestination>(worker_, health, settings, options_.connections_per_server);
  dest->set_spool(server_.spool());
  destinations_.emplace(key, dest);
  return dest;
}

std::vector<std::shared_ptr<Destination>> DestinationMap::server_destinations() const {
  std::vector<std::shared_ptr<Destination>> out;
  std::string last;
  for (const auto& [_, dest] : destinations_) {  // keyed "server|timeouts": one server's entries are adjacent
    if (!out.empty() && dest->name() == last) continue;
    last = dest->name();
    out.push_back(dest);
  }
  return out;
}

UpstreamSettings DestinationMap::settings_for(const ServerHealth& health) const {
  UpstreamSettings settings;
  if (auto it = tls_servers_.find(health.name()); it != tls_servers_.end()) settings = it->second;
  settings.server_timeout_ms = options_.server_timeout_ms;
  settings.connect_timeout_ms = options_.connect_timeout_ms;
  return settings;
}

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

void DestinationMap::start_probe(ServerHealth& health) {
  if (stopping_ || probes_.contains(&health)) return;
  auto probe = std::make_unique<Probe>(worker_, stats_, io_, health, settings_for(health));
  probe->delay = std::chrono::milliseconds(
      std::max<std::uint32_t>(1, health.retry_ms() ? health.retry_ms() : options_.probe_timeout_initial_ms));
  probe->reconnect = std::min(kReconnectFirst, probe->delay);
  Probe& ref = *probe;
  probes_.emplace(&health, std::move(probe));
  // twemproxy pools keep their fixed server_retry_timeout: an ejected server stays out that long.
  bool fast = health.retry_ms() == 0 && nothing_listens(health.last_failure_result());
  schedule_probe(ref, fast ? ref.reconnect : ref.delay);
}

void DestinationMap::drop_probes_of_removed_servers() {
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

void DestinationMap::schedule_probe(Probe& probe, std::chrono::milliseconds delay) {
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

void DestinationMap::run_probe(Probe& probe) {
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

void DestinationMap::replay_deletes(ServerHealth& health) {
  DeleteSpool* spool = server_.spool();
  if (!spool || stopping_) return;
  auto batch = std::make_shared<DeleteSpool::Batch>(spool->take(health.name()));
  const auto& keys = batch->keys;
  if (keys.empty()) return;
  log::info("replaying {} spooled delete{} to {}", keys.size(), keys.size() == 1 ? "" : "s", health.name());
  UpstreamSettings settings = settings_for(health);
  auto conn = make_ref<UpstreamConnection>(worker_, health, stats_.destination(health.name()), settings);
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

void DestinationMap::start_inactive_sweep() {
  inactive_timer_ = std::make_unique<asio::steady_timer>(io_);
  sweep_inactive();
}

void DestinationMap::sweep_inactive() {
  inactive_timer_->expires_after(std::chrono::milliseconds(options_.reset_inactive_connection_interval_ms));
  inactive_timer_->async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    std::size_t closed = 0;
    for (auto& [_, d] : destinations_) closed += d->close_inactive();
    if (closed > 0) log::debug("worker {}: closed {} inactive upstream connection{}", id_, closed, closed == 1 ? "" : "s");
    sweep_inactive();
  });
}

void DestinationMap::close_all() {
  stopping_ = true;
  for (auto& [_, d] : destinations_) d->close();
  for (auto& [_, p] : probes_) {
    p->timer.cancel();
    p->conn->close();
  }
  if (inactive_timer_) inactive_timer_->cancel();
}

}  // namespace mcrelay
