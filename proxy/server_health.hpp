#pragma once
// ServerHealth: whether one memcached server is usable, shared by every worker (mcrouter's TKO tracking).
//
// Contract: created by the HealthRegistry on the control thread (or a worker applying a config, under the
// registry's mutex) and never destroyed while the process runs, so workers keep raw pointers. Read and
// written by any worker with relaxed atomics. Nothing here is touched on a successful request except one
// relaxed load: failures are counted per failure event (a reset connection), and the counter is cleared by
// the first success after them.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "protocol/reply.hpp"

namespace mcrelay {

class ServerHealth {
 public:
  ServerHealth(std::string name, std::string host, std::uint16_t port, unsigned tko_threshold)
      : name_(std::move(name)), host_(std::move(host)), port_(port), threshold_(tko_threshold ? tko_threshold : 1) {}

  const std::string& name() const noexcept { return name_; }
  const std::string& host() const noexcept { return host_; }
  std::uint16_t port() const noexcept { return port_; }

  bool is_tko() const noexcept { return tko_.load(std::memory_order_relaxed); }

  void record_success() noexcept {
    if (failures_.load(std::memory_order_relaxed) != 0) failures_.store(0, std::memory_order_relaxed);
  }

  // A timeout or connect failure. Returns true when this call marked the server down: the caller then owns
  // probing it until it answers.
  bool record_failure(Result why) noexcept {
    last_failure_.store(static_cast<std::uint8_t>(why), std::memory_order_relaxed);
    failure_events_.fetch_add(1, std::memory_order_relaxed);
    unsigned n = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n < threshold_.load(std::memory_order_relaxed)) return false;
    bool expected = false;
    if (!tko_.compare_exchange_strong(expected, true, std::memory_order_relaxed)) return false;
    tko_events_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // twemproxy pools (auto_eject_hosts): server_failure_limit replaces the TKO threshold and
  // server_retry_timeout (ms) the probe schedule, for this server. Set by DestinationMap::get() when a pool
  // with those options is built (any worker; the last pool built wins for a server several pools share).
  void set_twemproxy_limits(unsigned failure_limit, std::uint32_t retry_ms) noexcept {
    threshold_.store(failure_limit ? failure_limit : 1, std::memory_order_relaxed);
    retry_ms_.store(retry_ms, std::memory_order_relaxed);
  }
  // 0: the proxy's probe schedule (-r, doubling to --probe-timeout-max); else a fixed retry interval.
  std::uint32_t retry_ms() const noexcept { return retry_ms_.load(std::memory_order_relaxed); }

  void mark_up() noexcept {
    failures_.store(0, std::memory_order_relaxed);
    tko_.store(false, std::memory_order_relaxed);
  }

  // "Server unavailable. Reason: <why>", mcrouter's wording for a request failed without trying.
  std::string unavailable_message() const;
  std::string_view last_failure() const noexcept;
  Result last_failure_result() const noexcept {
    return static_cast<Result>(last_failure_.load(std::memory_order_relaxed));
  }

  // Timeouts and connect failures since the last success (reset by a reply or by mark_up()).
  unsigned consecutive_failures() const noexcept { return failures_.load(std::memory_order_relaxed); }
  std::uint64_t failure_events() const noexcept { return failure_events_.load(std::memory_order_relaxed); }
  std::uint64_t tko_events() const noexcept { return tko_events_.load(std::memory_order_relaxed); }

 private:
  std::string name_;
  std::string host_;
  std::uint16_t port_;
  std::atomic<unsigned> threshold_;
  std::atomic<std::uint32_t> retry_ms_{0};
  std::atomic<bool> tko_{false};
  std::atomic<unsigned> failures_{0};
  std::atomic<std::uint8_t> last_failure_{static_cast<std::uint8_t>(Result::timeout)};
  std::atomic<std::uint64_t> failure_events_{0};
  std::atomic<std::uint64_t> tko_events_{0};
};

// Every ServerHealth by server name ("host:port"). Entries live as long as the process.
class HealthRegistry {
 public:
  explicit HealthRegistry(unsigned tko_threshold) : threshold_(tko_threshold) {}
  ServerHealth& get(const std::string& name, const std::string& host, std::uint16_t port);
  // A snapshot for stats (name -> health), taken under the lock.
  std::map<std::string, ServerHealth*> all() const;

 private:
  unsigned threshold_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ServerHealth>> by_name_;
};

}  // namespace mcrelay
