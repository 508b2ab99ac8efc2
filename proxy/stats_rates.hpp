#pragma once
// StatsRates: per-second rates of cumulative counters over (up to) the last four minutes, for mcrouter's rate
// stats (`cmd_get`, `cmd_get_out`, `result_error` ...: mcrouter reports each as the average per second over
// its last 240 one-second bins).
//
// Contract: owned by the ProxyServer; rates() may be called from any thread (worker threads answer `stats`)
// and takes a mutex; nothing on the request path touches it. Samples are taken only when stats are read, at
// most one per second, so an idle proxy that nobody asks keeps no history: a rate is then the average since
// the oldest sample kept (or since start-up, for the first read).
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace mcrelay {

class StatsRates {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{240};

  explicit StatsRates(Clock::time_point start = Clock::now()) : start_(start) {}

  // `counts` are the counters' current totals (always the same counters in the same order). Returns one rate
  // per counter: (count now - count at the window's start) / seconds since then.
  std::vector<double> rates(const std::vector<std::uint64_t>& counts, Clock::time_point now = Clock::now());

 private:
  struct Sample {
    Clock::time_point at;
    std::vector<std::uint64_t> counts;
  };
  std::mutex mu_;
  Clock::time_point start_;
  std::deque<Sample> samples_;
};

}  // namespace mcrelay
