#include "proxy/proxy_server.hpp"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <limits>

#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "config/config_error.hpp"
#include "routes/hash/md5.hpp"
#include "proxy/admin_token.hpp"
#include "proxy/config_watcher.hpp"
#include "proxy/discovery_config.hpp"
#include "proxy/listeners.hpp"
#include "proxy/stats_collector.hpp"
#include "proxy/stats_files.hpp"
#include "proxy/stats_report.hpp"
#include "proxy/unix_listener.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;

ProxyServer::ProxyServer(Options options, std::shared_ptr<const LoadedConfig> config)
    : options_(std::move(options)),
      // --disable-tko-tracking: a threshold no run of failures reaches.
      health_(options_.disable_tko_tracking ? std::numeric_limits<unsigned>::max() : options_.timeouts_until_tko),
      config_(std::move(config)) {
  if (!options_.async_dir.empty() && !options_.asynclog_disable) {
    spool_ = std::make_unique<DeleteSpool>(options_.async_dir);
  }
  if (options_.max_conns == 1) {
    // mcrouter's special value: as many as the open-files limit allows.
    options_.max_conns = max_conns_from_rlimit();
    log::info("--max-conns 1: limit derived from the open-files limit: {} client connections", options_.max_conns);
  }
  // TLS contexts: a certificate that does not load is a start-up error (exit 1, with the file named).
  if (!options_.ssl_ports.empty()) {
    server_tls_ = std::make_unique<TlsReloader>(
        TlsFiles{options_.server_pem_cert_path, options_.server_pem_key_path, options_.server_pem_ca_path},
        options_.ssl_require_peer_certs);
  }
  // To servers: mcrouter reads these files only when a pool uses TLS, and its users may pass them anyway;
  // so a file that does not load is a warning here, and connections to TLS servers fail with the reason.
  try {
    client_tls_ = make_client_tls_context(TlsFiles{options_.pem_cert_path, options_.pem_key_path, options_.pem_ca_path});
  } catch (const std::exception& e) {
    client_tls_error_ = e.what();
    log::warn("TLS to servers is unavailable: {}; connections to pools with \"use_ssl\" will fail", e.what());
  }
  unsigned n = options_.num_proxies ? options_.num_proxies : available_cpus();
  if (options_.core_multiplier > 0 && available_cpus() >= options_.core_multiplier_threshold) {
    n = std::clamp(static_cast<unsigned>(available_cpus() * options_.core_multiplier), 1u, 1024u);
  }
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, *this, options_));
}

ProxyServer::~ProxyServer() {
  for (auto& w : workers_) w->join();
  // A handler posted to a worker whose loop had already ended (a liveness check racing the end of a drain)
  // is destroyed with that worker's io_context; it may own a timer of control_, so the workers go while
  // control_ (declared after them, so destroyed before them) still exists.
  workers_.clear();
}

std::shared_ptr<LoadedConfig> ProxyServer::resolve_members(std::shared_ptr<LoadedConfig> cfg) {
  if (discovered_pools(cfg->source_config).empty()) return cfg;
  if (!discovery_) {
    discovery_ = std::make_unique<ServiceDiscovery>(
        [this](const std::string& pool, std::vector<config::ServerAddress> members) {
          log::notice("discovery: pool {} now has {} member{}", pool, members.size(), members.size() == 1 ? "" : "s");
          asio::post(control_, [this] { apply_discovered_members(); });
        },
        [](const std::string& pool, const std::string& message) {
          if (message.empty()) {
            log::info("discovery: pool {} resolves again", pool);
          } else {
            log::warn("discovery: pool {}: {}", pool, message);
          }
        },
        discovery::nameserver_from_env());
  }
  std::map<std::string, std::string> errors;
  auto members = discovery_->resolve_pools(cfg->source_config, &errors);
  for (const auto& [pool, e] : errors) log::warn("discovery: pool {}: {}", pool, e);
  auto generation = cfg->generation;
  cfg = with_members(*cfg, members);
  cfg->generation = generation;
  for (const auto& [pool, service] : cfg->pending_pools) {
    log::warn("discovery: pool {} has no members yet ({}); its requests fail until it does", pool, service);
  }
  discovery_->watch(cfg->source_config, members);
  return cfg;
}

void ProxyServer::apply_discovered_members() {
  if (!discovery_ || draining()) return;
  auto current = config();
  try {
    auto next = with_members(*current, discovery_->members());
    publish(next);
    log::info("discovery: installed generation {} ({} pool{} still without members)", next->generation,
              next->pending_pools.size(), next->pending_pools.size() == 1 ? "" : "s");
  } catch (const config::ConfigError& e) {
    log::error("discovery: new members rejected: {}; keeping the running config", e.what());
  }
}

void ProxyServer::publish(std::shared_ptr<const LoadedConfig> cfg) {
  std::atomic_store(&config_, cfg);
  for (auto& w : workers_) w->install_config(cfg);
}

int ProxyServer::run() {
  // Signal handlers first: a SIGHUP or SIGTERM that arrives as soon as "listening" is logged must find them.
  asio::signal_set signals(control_, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR2);
  try {
    config_ = resolve_members(std::const_pointer_cast<LoadedConfig>(config_));
  } catch (const config::ConfigError& e) {
    log::error("config error: {}", e.what());
    return 2;  // mcrouter's exit status for a start-up failure that a restart may fix
  }
  std::unique_ptr<AdminToken> token;
  if (options_.admin_port >= 0 && !options_.admin_token_file.empty()) {
    token = std::make_unique<AdminToken>(options_.admin_token_file);
    if (auto err = token->load(); !err.empty()) {
      log::error("--admin-token-file: {}", err);
      return 2;  // a start-up failure that fixing the file and restarting cures
    }
  }
  for (auto& w : workers_) w->install_config(config_);
  ports_ = bind_listeners(options_, workers_, config_->config.pool_listeners);
  if (options_.unix_domain_sock.empty() && options_.listen_sock_fd < 0) {
    for (const auto& l : config_->config.pool_listeners) {
      if (!l.unix_path.empty()) pool_unix_paths_.push_back(l.unix_path);
    }
  }
  if (options_.admin_port >= 0) {
    admin_ = std::make_unique<AdminServer>(control_, *this, options_.admin_address,
                                           static_cast<std::uint16_t>(options_.admin_port));
    if (token) admin_->require_token(std::move(token));
    admin_->start();
    log::info("admin listener on {}:{} ({})", options_.admin_address, admin_->port(),
              options_.admin_token_file.empty() ? "no token: loopback only"
                                                : "token from " + options_.admin_token_file +
                                                      " required but for /healthz and /readyz");
  }
  if (server_tls_) server_tls_->start(control_, std::chrono::milliseconds(options_.tls_reload_interval_ms));
  for (auto& w : workers_) w->start();
  workers_running_ = workers_.size();
  // Deletes spooled before a restart are replayed now, then whatever is spooled is replayed periodically.
  if (spool_) replay_spooled_deletes();
  listening_.store(true, std::memory_order_relaxed);

  if (!options_.stats_root.empty() && options_.stats_logging_interval_ms > 0) write_stats_files();
  if (!config_->file.empty() && !options_.disable_reload_configs) {
    watcher_ = std::make_unique<ConfigWatcher>(control_, config_->file, [this](const char* why) { reload(why); },
                                               std::chrono::milliseconds(2000),
                                               std::chrono::milliseconds(options_.reconfiguration_delay_ms));
    watcher_->start();
  }
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP || sig == SIGUSR2) {
      // logrotate renames the file, then signals: from here on the lines go to a new file at the old path.
      if (!options_.log_path.empty()) {
        if (auto err = log::open_file(options_.log_path); !err.empty()) {
          log::error("Couldn't open log file {} for writing: {}; logging where it did", options_.log_path, err);
        } else {
          log::notice("log file {} reopened ({})", options_.log_path, sig == SIGHUP ? "SIGHUP" : "SIGUSR2");
        }
      }
      if (sig == SIGHUP) reload("SIGHUP");
    } else if (!draining()) {
      begin_shutdown(sig);
    } else {
      log::warn("second signal {} while draining; stopping now", sig);
      for (auto& w : workers_) w->stop();
      control_.stop();
      return;
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  control_.run();
  for (auto& w : workers_) w->join();
  if (!options_.unix_domain_sock.empty()) remove_unix_listener(options_.unix_domain_sock);  // as mcrouter
  for (const auto& path : pool_unix_paths_) remove_unix_listener(path);  // as nutcracker
  log::info("stopped");
  return 0;
}

// Replays the spooled deletes of every known server that is not marked down, then again every
// --probe-timeout-initial-ms (at least 1 s). A server marked down is left to its probes (destination_map.cpp), which
// replay as soon as it answers; this catches deletes spooled after a lone timeout, with the server never
// marked down, and servers that appeared later (discovered pools). A delete that fails again is spooled
// again, so replaying to a server that is in fact down costs a connect attempt, nothing more.
void ProxyServer::replay_spooled_deletes() {
  if (draining()) return;
  for (const auto& [name, h] : health_.all()) {
    if (h->is_tko() || !spool_->pending(name)) continue;
    ServerHealth* health = h;
    asio::post(workers_.front()->io(), [w = workers_.front().get(), health] { w->replay_deletes(*health); });
  }
  if (!spool_timer_) spool_timer_ = std::make_unique<asio::steady_timer>(control_);
  spool_timer_->expires_after(std::chrono::milliseconds(std::max<std::uint32_t>(options_.probe_timeout_initial_ms, 1000)));
  spool_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) replay_spooled_deletes();
  });
}

void ProxyServer::request_shutdown() {
  asio::post(control_, [this] {
    if (!draining()) begin_shutdown(0);
  });
}

void ProxyServer::begin_shutdown(int sig) {
  // Graceful: readiness fails at once, listeners close, in-flight requests finish (bounded by
  // --drain-timeout-ms), then connections close and the process exits 0.
  if (sig == 0) {
    log::info("shutdown command received; draining (up to {} ms)", options_.drain_timeout_ms);
  } else {
    log::info("received signal {}; draining (up to {} ms)", sig, options_.drain_timeout_ms);
  }
  draining_.store(true, std::memory_order_relaxed);
  if (watcher_) watcher_->stop();
  if (server_tls_) server_tls_->stop();
  if (spool_timer_) spool_timer_->cancel();
  if (stats_file_timer_) stats_file_timer_->cancel();
  for (auto& w : workers_) {
    w->drain(std::chrono::milliseconds(options_.drain_timeout_ms), [this] {
      asio::post(control_, [this] {
        if (--workers_running_ > 0) return;
        if (admin_) admin_->stop();
        control_.stop();
      });
    });
  }
}

void ProxyServer::reload(const char* why) {
  auto current = config();
  if (current->file.empty()) {
    log::info("reload ({}): the config was not loaded from a file; nothing to reload", why);
    return;
  }
  std::string text;
  try {
    text = read_config_file(current->file);
  } catch (const config::ConfigError& e) {
    if (last_failed_md5_ != "unreadable") {
      log::error("config reload ({}): {}; keeping the running config", why, e.what());
      last_failed_md5_ = "unreadable";
      reloads_failed_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  std::string md5 = md5_hex(text);
  if (md5 == current->md5) {
    last_failed_md5_.clear();
    return;  // the file was touched but says the same thing
  }
  if (md5 == last_failed_md5_) return;  // already reported
  try {
    auto next = load_config_text(text, current->file, current->route_prefix, {}, current->config_params);
    next->file = current->file;
    next->generation = current->generation + 1;
    next = resolve_members(next);
    // Count and log before publishing: whoever sees the new digest (stats, /metrics, a test waiting for
    // it) then also sees the reload counted and logged. atomic_store publishes with release order.
    reloads_ok_.fetch_add(1, std::memory_order_relaxed);
    last_failed_md5_.clear();
    log::notice("config reloaded ({}): {} generation {} md5 {}", why, next->config.source, next->generation, next->md5);
    publish(std::move(next));
  } catch (const config::ConfigError& e) {
    // Log before counting, so that whoever sees the failure counted also finds the reason in the log.
    log::error("config reload ({}) rejected: {}; keeping the running config (md5 {})", why, e.what(), current->md5);
    last_failed_md5_ = md5;
    reloads_failed_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ProxyServer::write_stats_files() {
  if (draining()) return;
  const std::string& root = options_.stats_root;
  // Standalone mcrouter names its files after its service and its first port.
  auto prefix = stats_file_prefix(options_.service_name, std::to_string(ports_.empty() ? options_.port : ports_[0]));
  if (auto err = ensure_directory(root); !err.empty()) {
    log::error("Can't create or chmod {}, disabling stats logging ({})", root, err);
    return;
  }
  if (!startup_options_written_) {
    std::map<std::string, std::string> opts{{"config", options_.config},
                                            {"num_proxies", std::to_string(workers_.size())},
                                            {"port", std::to_string(ports_.empty() ? options_.port : ports_[0])},
                                            {"route_prefix", options_.route_prefix},
                                            {"service_name", options_.service_name}};
    auto err = write_file_atomically(root + "/" + prefix + ".startup_options", startup_options_json(opts, ::getpid()));
    if (!err.empty()) log::warn("stats files: {}", err);
    startup_options_written_ = true;
  }
  collect_stats(control_, [this, path = root + "/" + prefix + ".stats", prefix](StatsTotals totals) {
    if (auto err = write_file_atomically(path, stats_file_json(prefix, render_memcached_stats(*this, totals, "")));
        !err.empty()) {
      log::warn("stats files: {}", err);
    }
  });
  if (!stats_file_timer_) stats_file_timer_ = std::make_unique<asio::steady_timer>(control_);
  stats_file_timer_->expires_after(std::chrono::milliseconds(options_.stats_logging_interval_ms));
  stats_file_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) write_stats_files();
  });
}

void ProxyServer::collect_stats(asio::io_context& home, UniqueFunction<void(StatsTotals)> done) {
  std::vector<SnapshotSource*> sources;
  for (auto& w : workers_) sources.push_back(w.get());
  collect_snapshots(sources, home, [this, done = std::move(done)](std::vector<StatsTotals> parts) mutable {
    done(merge_snapshots(parts, snapshot_health(health_)));
  });
}

void ProxyServer::render_stats(std::string_view group, asio::io_context& reply_on,
                               UniqueFunction<void(std::string)> done) {
  collect_stats(reply_on, [this, group = std::string(group), done = std::move(done)](StatsTotals totals) mutable {
    done(render_memcached_stats(*this, totals, group));
  });
}

std::int64_t ProxyServer::uptime_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
}

bool ProxyServer::ready(std::string& why) const {
  if (draining()) {
    why = "draining";
    return false;
  }
  if (!listening_.load(std::memory_order_relaxed)) {
    why = "not listening yet";
    return false;
  }
  auto cfg = config();
  if (!cfg) {
    why = "no config loaded";
    return false;
  }
  if (!cfg->pending_pools.empty()) {
    why = "waiting for members of discovered pool";
    for (const auto& [pool, service] : cfg->pending_pools) why += fmt::format(" {} ({})", pool, service);
    return false;
  }
  return true;
}

bool ProxyServer::admit_connection() noexcept {
  auto n = open_conns_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (options_.max_conns != 0 && static_cast<std::size_t>(n) > options_.max_conns) {
    open_conns_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void ProxyServer::check_event_loops(std::function<void(bool, std::string)> done) {
  struct State {
    std::function<void(bool, std::string)> done;
    std::vector<bool> answered;
    std::size_t remaining;
    bool finished = false;
    asio::steady_timer timer;
    explicit State(asio::io_context& io) : timer(io) {}
  };
  auto st = std::make_shared<State>(control_);
  st->done = std::move(done);
  st->answered.assign(workers_.size(), false);
  st->remaining = workers_.size();
  st->timer.expires_after(std::chrono::seconds(1));
  st->timer.async_wait([this, st](const boost::system::error_code& ec) {
    if (ec || st->finished) return;
    st->finished = true;
    // A worker whose drain ended after it was asked (its loop stopped before running the heartbeat) is
    // finished, not hung.
    std::string detail = "event loop not answering: worker";
    bool hung = false;
    for (std::size_t i = 0; i < st->answered.size(); ++i) {
      if (!st->answered[i] && !workers_[i]->finished()) {
        detail += " " + std::to_string(i);
        hung = true;
      }
    }
    st->done(!hung, hung ? detail : "ok (draining)");
  });
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    if (w->finished()) {
      // Drained and done: its loop has ended on purpose; liveness is about loops that should answer.
      st->answered[i] = true;
      if (--st->remaining == 0) {
        st->finished = true;
        st->timer.cancel();
        st->done(true, "ok (draining)");
      }
      continue;
    }
    asio::post(w->io(), [this, st, i, w] {
      w->stats().loop_heartbeat.add();
      asio::post(control_, [st, i] {
        if (st->finished) return;
        st->answered[i] = true;
        if (--st->remaining == 0) {
          st->finished = true;
          st->timer.cancel();
          st->done(true, "ok");
        }
      });
    });
  }
}

}  // namespace mcrelay
