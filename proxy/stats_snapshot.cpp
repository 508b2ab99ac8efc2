#include "proxy/stats_snapshot.hpp"

#include "proxy/server_health.hpp"

namespace mcrelay {

std::uint64_t DestinationTotals::errors() const {
  std::uint64_t n = 0;
  for (int r = 0; r < kResultCount; ++r) {
    if (is_error(static_cast<Result>(r))) n += results[r];
  }
  return n;
}

std::uint64_t DestinationTotals::answered() const {
  std::uint64_t n = 0;
  for (auto v : results) n += v;
  return n;
}

StatsTotals snapshot_worker(const WorkerStats& s) {
  StatsTotals t;
  t.workers = 1;
  t.curr_connections = s.curr_connections.get();
  t.total_connections = s.total_connections.get();
  t.rejected_connections = s.rejected_connections.get();
  t.requests_processing = s.requests_processing.get();
  for (int i = 0; i < kOpCount; ++i) {
    t.cmd[i] = s.cmd[i].get();
    t.upstream_cmd[i] = s.upstream_cmd[i].get();
    for (int r = 0; r < kResultCount; ++r) t.results[i][r] = s.results[i][r].get();
  }
  t.latency.add(s.latency);
  t.get_hits = s.get_hits.get();
  t.get_misses = s.get_misses.get();
  t.get_errors = s.get_errors.get();
  t.client_errors = s.client_errors.get();
  t.bytes_read = s.bytes_read.get();
  t.bytes_written = s.bytes_written.get();
  t.upstream_requests = s.upstream_requests.get();
  t.upstream_errors = s.upstream_errors.get();
  t.upstream_timeouts = s.upstream_timeouts.get();
  t.upstream_connects = s.upstream_connects.get();
  t.upstream_connect_errors = s.upstream_connect_errors.get();
  t.tls_handshakes = s.tls_handshakes.get();
  t.tls_handshake_failures = s.tls_handshake_failures.get();
  t.upstream_tls_handshakes = s.upstream_tls_handshakes.get();
  t.upstream_tls_resumed = s.upstream_tls_resumed.get();
  t.upstream_resets = s.upstream_resets.get();
  for (const auto& [name, d] : s.destinations()) {
    DestinationTotals& dt = t.destinations[name];
    dt.requests = d->requests.get();
    for (int r = 0; r < kResultCount; ++r) dt.results[r] = d->results[r].get();
    dt.pending = d->pending.get();
    dt.connections = d->connections.get();
    dt.latency.add(d->latency);
  }
  return t;
}

HealthSnapshot snapshot_health(const HealthRegistry& registry) {
  HealthSnapshot out;
  for (const auto& [name, h] : registry.all()) {
    HealthView& v = out[name];
    v.tko = h->is_tko();
    v.consecutive_failures = h->consecutive_failures();
    v.tko_events = h->tko_events();
    v.failure_events = h->failure_events();
    v.last_failure = v.failure_events ? std::string(h->last_failure()) : std::string();
    v.last_failure_result = h->last_failure_result();
    v.host = h->host();
    v.port = h->port();
  }
  return out;
}

namespace {

template <std::size_t N>
void add_all(std::uint64_t (&into)[N], const std::uint64_t (&from)[N]) {
  for (std::size_t i = 0; i < N; ++i) into[i] += from[i];
}

}  // namespace

StatsTotals merge_snapshots(const std::vector<StatsTotals>& workers, const HealthSnapshot& health) {
  StatsTotals t;
  for (const StatsTotals& w : workers) {
    t.workers += w.workers;
    t.curr_connections += w.curr_connections;
    t.total_connections += w.total_connections;
    t.rejected_connections += w.rejected_connections;
    t.requests_processing += w.requests_processing;
    add_all(t.cmd, w.cmd);
    add_all(t.upstream_cmd, w.upstream_cmd);
    for (int i = 0; i < kOpCount; ++i) {
      for (int r = 0; r < kResultCount; ++r) t.results[i][r] += w.results[i][r];
    }
    t.latency.add(w.latency);
    t.get_hits += w.get_hits;
    t.get_misses += w.get_misses;
    t.get_errors += w.get_errors;
    t.client_errors += w.client_errors;
    t.bytes_read += w.bytes_read;
    t.bytes_written += w.bytes_written;
    t.upstream_requests += w.upstream_requests;
    t.upstream_errors += w.upstream_errors;
    t.upstream_timeouts += w.upstream_timeouts;
    t.upstream_connects += w.upstream_connects;
    t.upstream_connect_errors += w.upstream_connect_errors;
    t.tls_handshakes += w.tls_handshakes;
    t.tls_handshake_failures += w.tls_handshake_failures;
    t.upstream_tls_handshakes += w.upstream_tls_handshakes;
    t.upstream_tls_resumed += w.upstream_tls_resumed;
    t.upstream_resets += w.upstream_resets;
    for (const auto& [name, d] : w.destinations) {
      DestinationTotals& dt = t.destinations[name];
      dt.requests += d.requests;
      for (int r = 0; r < kResultCount; ++r) dt.results[r] += d.results[r];
      dt.pending += d.pending;
      dt.connections += d.connections;
      dt.latency.add(d.latency);
      auto h = health.find(name);
      bool failing = h != health.end() && h->second.failing();
      ++dt.states[d.connections > 0   ? DestinationTotals::kUp
                  : failing           ? DestinationTotals::kDown
                  : d.answered() == 0 ? DestinationTotals::kNew
                                      : DestinationTotals::kClosed];
    }
  }
  for (const auto& [name, h] : health) {
    DestinationTotals& dt = t.destinations[name];
    dt.tko = h.tko;
    dt.tko_events = h.tko_events;
    dt.consecutive_failures = h.consecutive_failures;
    dt.last_failure = h.last_failure;
    dt.last_failure_result = h.last_failure_result;
    dt.host = h.host;
    dt.port = h.port;
  }
  return t;
}

}  // namespace mcrelay
