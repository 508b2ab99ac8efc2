#pragma once
// ProcessInfo: what stats rendering (proxy/stats_report.hpp, proxy/stats_mcrouter.hpp) reads of the process
// besides the merged counters: options, the running config, uptime, reload counts, the rate history.
// Implemented by ProxyServer; tests implement it with fixed values.
//
// Contract: every member may be called from any thread (worker threads render `stats`, the control thread
// renders /metrics and the stats files); they read immutable data, atomics, or StatsRates (its own lock).
#include <cstdint>
#include <memory>

#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/stats_rates.hpp"

namespace mcrelay {

class ProcessInfo {
 public:
  virtual const Options& options() const noexcept = 0;
  virtual std::shared_ptr<const LoadedConfig> config() const = 0;
  virtual std::int64_t uptime_seconds() const = 0;
  virtual bool draining() const noexcept = 0;
  virtual std::uint64_t reloads_ok() const noexcept = 0;
  virtual std::uint64_t reloads_failed() const noexcept = 0;
  // Deletes spooled since start (mcrouter's `asynclog_requests`; 0 without --async-dir).
  virtual std::uint64_t spooled_deletes() const noexcept = 0;
  // The history behind mcrouter's per-second rate stats.
  virtual StatsRates& stats_rates() const noexcept = 0;

 protected:
  ~ProcessInfo() = default;
};

}  // namespace mcrelay
