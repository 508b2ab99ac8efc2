#pragma once
// ProxyServer: the process: loads the config, binds the listeners (listeners.hpp), runs the workers, handles
// signals (SIGTERM/SIGINT drain; SIGHUP reopens the -L log file and reloads the config; SIGUSR2 reopens the log).
//
// Contract: constructed and run on the main thread. run() returns when the proxy has stopped (SIGTERM or
// SIGINT). Workers see it only through ServerContext (proxy/server_context.hpp), stats rendering through
// ProcessInfo (proxy/process_info.hpp); those members may be called from any worker thread.
#include <atomic>
#include <functional>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/admin_server.hpp"
#include "proxy/config_watcher.hpp"
#include "proxy/delete_spool.hpp"
#include "proxy/discovery.hpp"
#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/process_info.hpp"
#include "proxy/server_context.hpp"
#include "proxy/server_health.hpp"
#include "proxy/stats_rates.hpp"
#include "proxy/stats_snapshot.hpp"
#include "proxy/tls_reloader.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

class ProxyServer final : public ServerContext, public ProcessInfo {
 public:
  ProxyServer(Options options, std::shared_ptr<const LoadedConfig> config);
  ~ProxyServer();

  // Binds the listeners (throws std::system_error on failure), starts the workers, waits for a signal.
  int run();

  // The process's totals: every worker's snapshot (taken on its own thread) merged with the health
  // registry's; `done` runs on `home` (posted). Any thread that runs `home`.
  void collect_stats(boost::asio::io_context& home, UniqueFunction<void(StatsTotals)> done);
  // ServerContext: `stats [group]`, rendered from collect_stats().
  void render_stats(std::string_view group, boost::asio::io_context& reply_on,
                    UniqueFunction<void(std::string)> done) override;
  const std::vector<std::unique_ptr<Worker>>& workers() const noexcept { return workers_; }
  std::size_t worker_count() const noexcept override { return workers_.size(); }
  std::int64_t uptime_seconds() const override;
  bool draining() const noexcept override { return draining_.load(std::memory_order_relaxed); }
  // Readiness: a config is loaded, the listeners are up, and the proxy is not draining.
  bool ready(std::string& why) const;
  // Liveness: posts to every worker's loop; calls back (on the control thread) with ok=false if a loop
  // does not answer within a second.
  void check_event_loops(std::function<void(bool ok, std::string detail)> done);
  // Admission control for --max-conns (any worker thread): false when the limit is reached.
  bool admit_connection() noexcept override;
  void release_connection() noexcept override { open_conns_.fetch_sub(1, std::memory_order_relaxed); }
  const Options& options() const noexcept override { return options_; }
  HealthRegistry& health() noexcept override { return health_; }
  DeleteSpool* spool() noexcept override { return spool_.get(); }  // null without --async-dir
  std::uint64_t spooled_deletes() const noexcept override { return spool_ ? spool_->appended() : 0; }
  std::shared_ptr<const LoadedConfig> config() const override { return std::atomic_load(&config_); }
  // TLS (docs/tls.md), any worker thread: the --ssl-port listeners' context as of now (reloaded when the
  // certificate files change; null without --ssl-port), and the context for servers reached over TLS.
  std::shared_ptr<boost::asio::ssl::context> server_tls_context() const override {
    return server_tls_ ? server_tls_->current() : nullptr;
  }
  // Null when --pem-* files did not load: client_tls_error() says why.
  std::shared_ptr<boost::asio::ssl::context> client_tls_context() const noexcept override { return client_tls_; }
  const std::string& client_tls_error() const noexcept override { return client_tls_error_; }

  // Control thread: re-read the config file; if its content changed, validate it and install it on every
  // worker. A config that does not load is logged with its errors and the running one keeps serving.
  void reload(const char* why);
  // The `shutdown` command (--enable-shutdown-cmd), from any worker thread: the same graceful drain as
  // SIGTERM, started on the control thread.
  void request_shutdown() override;

  std::uint64_t reloads_ok() const noexcept override { return reloads_ok_.load(std::memory_order_relaxed); }
  std::uint64_t reloads_failed() const noexcept override { return reloads_failed_.load(std::memory_order_relaxed); }
  // The history behind mcrouter's per-second rate stats (`stats`: cmd_get, result_error ...); any thread.
  StatsRates& stats_rates() const noexcept override { return stats_rates_; }

 private:
  // --stats-root: mcrouter's stats files, rewritten every --stats-logging-interval (control thread).
  void write_stats_files();
  void begin_shutdown(int sig);
  // Service discovery (pools with "discover"): members are resolved before a config is installed, and a
  // change of members installs the same config with the new members (control thread).
  std::shared_ptr<LoadedConfig> resolve_members(std::shared_ptr<LoadedConfig> cfg);
  void apply_discovered_members();
  void publish(std::shared_ptr<const LoadedConfig> cfg);
  void replay_spooled_deletes();  // control thread; re-arms itself

  Options options_;
  HealthRegistry health_;
  std::shared_ptr<const LoadedConfig> config_;
  std::vector<std::string> pool_unix_paths_;  // twemproxy pools' Unix socket listeners, removed at exit
  std::vector<std::unique_ptr<Worker>> workers_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  boost::asio::io_context control_;
  std::string last_failed_md5_;  // do not log the same broken config on every poll
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  mutable StatsRates stats_rates_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> listening_{false};
  std::atomic<std::int64_t> open_conns_{0};
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<ConfigWatcher> watcher_;
  std::size_t workers_running_ = 0;
  std::unique_ptr<ServiceDiscovery> discovery_;
  std::unique_ptr<DeleteSpool> spool_;
  std::unique_ptr<boost::asio::steady_timer> spool_timer_;
  std::vector<std::uint16_t> ports_;  // listened on (the real ones for -p 0)
  std::unique_ptr<boost::asio::steady_timer> stats_file_timer_;
  bool startup_options_written_ = false;
  std::unique_ptr<TlsReloader> server_tls_;              // with --ssl-port
  std::shared_ptr<boost::asio::ssl::context> client_tls_;  // always: a pool may turn "use_ssl" on at a reload
  std::string client_tls_error_;
};

}  // namespace mcrelay
