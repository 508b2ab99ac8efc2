#pragma once
// WorkerStats and DestinationStats: the counters of one worker thread. When `stats`, `stats servers` or
// /metrics are read, each worker copies its own into a snapshot on its own thread (proxy/stats_snapshot.hpp)
// and the copies are summed by the reader (proxy/stats_collector.hpp).
//
// Contract: each Counter has exactly one writer (its worker thread), which updates it with a relaxed load and
// store (a plain add, no locked instruction). Counters are atomics so that a snapshot could be read anywhere,
// but the proxy reads them only on their own worker's thread; the destinations map is that thread's alone.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

// MCRELAY_NO_METRICS (CMake: -DMCRELAY_METRICS=OFF) compiles every counter update and the per-request clock
// reads out. It exists only so that the benchmark can measure what metrics cost (bench/README.md); nothing
// in the proxy's behaviour reads a counter, so such a build serves the same, with stats that stay at zero.
#ifdef MCRELAY_NO_METRICS
inline constexpr bool kMetricsEnabled = false;
#else
inline constexpr bool kMetricsEnabled = true;
#endif

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    if constexpr (kMetricsEnabled) v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(std::uint64_t n = 1) noexcept {
    if constexpr (kMetricsEnabled) v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  void set(std::uint64_t n) noexcept {
    if constexpr (kMetricsEnabled) v_.store(n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

constexpr int kResultCount = static_cast<int>(Result::busy) + 1;

// Latency histogram with fixed upper bounds (microseconds); the last bucket is +Inf.
class LatencyHistogram {
 public:
  static constexpr std::array<std::uint64_t, 16> kBoundsUs = {50,    100,    250,    500,    1000,    2500,
                                                              5000,  10000,  25000,  50000,  100000,  250000,
                                                              500000, 1000000, 2500000, 5000000};
  static constexpr std::size_t kBuckets = kBoundsUs.size() + 1;

  void record(std::uint64_t us) noexcept {
    if constexpr (!kMetricsEnabled) return;
    std::size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    buckets_[i].add();
    sum_us_.add(us);
  }
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].get(); }
  std::uint64_t sum_us() const noexcept { return sum_us_.get(); }

 private:
  std::array<Counter, kBuckets> buckets_;
  Counter sum_us_;
};

// Summed copy of histograms across workers, with a quantile estimate (upper bound of the bucket).
struct HistogramSnapshot {
  std::array<std::uint64_t, LatencyHistogram::kBuckets> buckets{};
  std::uint64_t sum_us = 0;
  void add(const LatencyHistogram& h) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.bucket(i);
    sum_us += h.sum_us();
  }
  void add(const HistogramSnapshot& h) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.buckets[i];
    sum_us += h.sum_us;
  }
  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    return n;
  }
  std::uint64_t quantile_us(double q) const;
};

// One destination (server) as seen by one worker.
struct DestinationStats {
  Counter requests;                       // requests sent
  std::array<Counter, kResultCount> results;  // replies by result (errors by kind included)
  Counter pending;                        // gauge: requests waiting for a reply
  Counter connections;                    // gauge: open connections
  LatencyHistogram latency;
};

struct WorkerStats {
  Counter curr_connections;
  Counter total_connections;
  Counter rejected_connections;
  Counter cmd[kOpCount];       // requests by command (a multi-key get counts once per key)
  std::array<std::array<Counter, kResultCount>, kOpCount> results;  // replies by command and result
  LatencyHistogram latency;    // client request latency (parse to reply ready)
  Counter get_hits;
  Counter get_misses;
  Counter get_errors;          // retrieval keys that failed (reported as misses inside a multi-get)
  Counter client_errors;       // malformed requests answered by the proxy
  Counter bytes_read;
  Counter bytes_written;
  Counter upstream_connects;
  Counter upstream_connect_errors;
  // TLS (docs/tls.md): clients' handshakes on --ssl-port, and handshakes to servers (new or resumed session).
  Counter tls_handshakes;
  Counter tls_handshake_failures;
  Counter upstream_tls_handshakes;
  Counter upstream_tls_resumed;
  Counter upstream_timeouts;
  Counter upstream_resets;
  Counter upstream_requests;
  Counter upstream_errors;
  Counter loop_heartbeat;      // bumped by /healthz checks that reached this worker's loop
  Counter requests_processing;  // gauge: client requests received and not answered yet (mcrouter's
                                // proxy_reqs_processing)
  Counter upstream_cmd[kOpCount];  // requests sent to servers by command (mcrouter's cmd_<op>_out)

  void count_reply(Op op, Result r) noexcept { results[static_cast<int>(op)][static_cast<int>(r)].add(); }

  // Per-destination stats, created when a config first names the server. Only the worker's own thread
  // creates and reads the map (upstream destinations, probes, and its stats snapshot: stats_snapshot.hpp),
  // so it needs no lock; a DestinationStats outlives the map entry while a connection still holds it.
  std::shared_ptr<DestinationStats> destination(const std::string& name) {
    auto& d = dests_[name];
    if (!d) d = std::make_shared<DestinationStats>();
    return d;
  }
  const std::map<std::string, std::shared_ptr<DestinationStats>>& destinations() const noexcept { return dests_; }

 private:
  std::map<std::string, std::shared_ptr<DestinationStats>> dests_;
};

}  // namespace mcrelay
