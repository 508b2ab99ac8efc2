#pragma once
// WorkerStats: the counters of one worker thread, summed across workers when `stats` is read.
//
// Contract: each Counter has exactly one writer (its worker thread), which updates it with a relaxed load and
// store (a plain add, no locked instruction); any thread may read it (relaxed). Nothing shared is written on
// the request path.
#include <atomic>
#include <cstdint>

#include "proxy/protocol/request.hpp"

namespace mcrelay {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct WorkerStats {
  Counter curr_connections;
  Counter total_connections;
  Counter rejected_connections;
  Counter cmd[kOpCount];       // requests by command (a multi-key get counts once per key)
  Counter get_hits;
  Counter get_misses;
  Counter get_errors;          // retrieval keys that failed (reported as misses inside a multi-get)
  Counter client_errors;       // malformed requests answered by the proxy
  Counter bytes_read;
  Counter bytes_written;
  Counter upstream_connects;
  Counter upstream_connect_errors;
  Counter upstream_timeouts;
  Counter upstream_resets;
  Counter upstream_requests;
  Counter upstream_errors;
};

}  // namespace mcrelay
