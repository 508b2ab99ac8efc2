#pragma once
// Stats snapshots: plain copies of counters, taken by each worker of its own counters on its own thread, then
// merged into the process's totals (StatsTotals) by whoever asked (proxy/stats_collector.hpp), together with a
// copy of the shared health registry. Rendering (proxy/stats_report.hpp, proxy/stats_mcrouter.hpp) reads only
// the merged copy, never a worker's live state.
//
// Contract: snapshot_worker() runs on the thread that owns the WorkerStats (its worker); snapshot_health() on
// any thread (it takes the registry's lock, see proxy/server_health.hpp); merge_snapshots() is pure.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proxy/stats.hpp"

namespace mcrelay {

class HealthRegistry;

struct DestinationTotals {
  std::uint64_t requests = 0;
  std::array<std::uint64_t, kResultCount> results{};
  std::uint64_t pending = 0;
  std::uint64_t connections = 0;
  HistogramSnapshot latency;
  bool tko = false;
  std::uint64_t consecutive_failures = 0;
  std::uint64_t tko_events = 0;
  std::string last_failure;
  Result last_failure_result = Result::timeout;
  std::string host;        // from the health registry ("" if unknown)
  std::uint16_t port = 0;
  // Per worker, the state of its connections to the server, mcrouter's ProxyDestination states:
  // new (never connected), up (a connection open), closed (was open, none now), down (failing or TKO).
  // Filled by merge_snapshots (a single worker's snapshot leaves them at 0).
  enum State { kNew, kUp, kClosed, kDown, kStates };
  std::array<std::uint64_t, kStates> states{};
  std::uint64_t errors() const;
  std::uint64_t answered() const;  // replies of any kind
};

struct StatsTotals {
  std::uint64_t workers = 0;
  std::uint64_t curr_connections = 0, total_connections = 0, rejected_connections = 0;
  std::uint64_t cmd[kOpCount] = {};
  std::array<std::array<std::uint64_t, kResultCount>, kOpCount> results{};
  HistogramSnapshot latency;
  std::uint64_t get_hits = 0, get_misses = 0, get_errors = 0, client_errors = 0;
  std::uint64_t bytes_read = 0, bytes_written = 0;
  std::uint64_t requests_processing = 0;
  std::uint64_t upstream_cmd[kOpCount] = {};
  std::uint64_t upstream_requests = 0, upstream_errors = 0, upstream_timeouts = 0, upstream_connects = 0,
                upstream_connect_errors = 0, upstream_resets = 0;
  std::uint64_t tls_handshakes = 0, tls_handshake_failures = 0, upstream_tls_handshakes = 0,
                upstream_tls_resumed = 0;
  std::map<std::string, DestinationTotals> destinations;
};

// One server's shared health, copied (proxy/server_health.hpp).
struct HealthView {
  bool tko = false;
  std::uint64_t consecutive_failures = 0;
  std::uint64_t tko_events = 0;
  std::uint64_t failure_events = 0;
  std::string last_failure;  // "" when it never failed
  Result last_failure_result = Result::timeout;
  std::string host;
  std::uint16_t port = 0;
  bool failing() const noexcept { return tko || consecutive_failures > 0; }
};
using HealthSnapshot = std::map<std::string, HealthView>;

// The worker's counters as they are now: workers = 1, destination states left at 0. Its own thread only.
StatsTotals snapshot_worker(const WorkerStats& stats);

// Every server's health as it is now (any thread).
HealthSnapshot snapshot_health(const HealthRegistry& registry);

// The process's totals: the workers' snapshots summed, each worker's view of each destination counted in
// its state (up: a connection open; down: none open and the server failing; new: never answered; closed:
// answered once, none open now), and each destination's health filled in (servers the registry knows but
// no worker uses appear too, with zero counters).
StatsTotals merge_snapshots(const std::vector<StatsTotals>& workers, const HealthSnapshot& health);

}  // namespace mcrelay
