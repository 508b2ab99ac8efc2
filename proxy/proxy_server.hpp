#pragma once
// ProxyServer: the process: loads the config, binds the listeners, runs the workers, handles signals.
//
// Contract: constructed and run on the main thread. run() returns when the proxy has stopped (SIGTERM or
// SIGINT). render_stats() may be called from any worker thread (it only reads relaxed counters and
// immutable data).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/server_health.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

class ProxyServer {
 public:
  ProxyServer(Options options, std::shared_ptr<const LoadedConfig> config);
  ~ProxyServer();

  // Binds the listeners (throws std::system_error on failure), starts the workers, waits for a signal.
  int run();

  std::string render_stats(std::string_view args) const;
  const Options& options() const noexcept { return options_; }
  HealthRegistry& health() noexcept { return health_; }
  std::shared_ptr<const LoadedConfig> config() const { return std::atomic_load(&config_); }

  // Control thread: re-read the config file; if its content changed, validate it and install it on every
  // worker. A config that does not load is logged with its errors and the running one keeps serving.
  void reload(const char* why);

  std::uint64_t reloads_ok() const noexcept { return reloads_ok_.load(std::memory_order_relaxed); }
  std::uint64_t reloads_failed() const noexcept { return reloads_failed_.load(std::memory_order_relaxed); }

 private:
  void bind_listeners();

  Options options_;
  HealthRegistry health_;
  std::shared_ptr<const LoadedConfig> config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  boost::asio::io_context control_;
  std::string last_failed_md5_;  // do not log the same broken config on every poll
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
};

}  // namespace mcrelay
