#pragma once
// Stats reports: the counters of every worker summed once (StatsTotals) and rendered three ways: memcached's
// `stats` (STAT lines), `stats servers` (one line per destination) and Prometheus text (/metrics).
//
// Contract: called from any thread (worker threads answer `stats`; the control thread answers /metrics);
// reads only relaxed counters, the health registry (under its lock) and the immutable current config.
#include <map>
#include <string>
#include <string_view>

#include "proxy/stats.hpp"

namespace mcrelay {

class ProxyServer;

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
  enum State { kNew, kUp, kClosed, kDown, kStates };
  std::array<std::uint64_t, kStates> states{};
  std::uint64_t errors() const;
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

StatsTotals collect_totals(const ProxyServer& server);

// `stats [group]` on the proxy port: mcrouter's groups ("", all, detailed, ods, count, cmd-error, servers,
// suspect_servers, version: proxy/stats_mcrouter.hpp) and mcrelay's `destinations`; anything else:
// mcrouter's "CLIENT_ERROR bad stats command". The server groups (settings, items, ...) are asked of the
// servers by the client session instead (proxy/server_stats.hpp).
std::string render_memcached_stats(const ProxyServer& server, std::string_view group);
// mcrelay's own per-server view, `stats destinations` (one line per server: state=... requests=...).
std::string render_destinations(const StatsTotals& t);
std::string render_prometheus(const ProxyServer& server);

}  // namespace mcrelay
