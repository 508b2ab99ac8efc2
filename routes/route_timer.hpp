#pragma once
// RouteTimer: how a route handle defers work (LatencyInjectionRoute), without routes/ owning sockets or
// event loops. The proxy's worker implements it on its io_context (proxy/worker.cpp); tests implement it
// with a manual clock.
//
// Contract: run_after() is called on the owning worker thread and runs `fn` once, on that thread, after at
// least `delay` (a zero delay still defers to a later loop turn); it never throws. If the worker shuts down
// first, `fn` is destroyed without running. now() is a monotonic clock.
#include <chrono>

#include "util/unique_function.hpp"

namespace mcrelay {

class RouteTimer {
 public:
  virtual ~RouteTimer() = default;
  virtual void run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn) = 0;
  virtual std::chrono::steady_clock::time_point now() const noexcept { return std::chrono::steady_clock::now(); }
};

}  // namespace mcrelay
