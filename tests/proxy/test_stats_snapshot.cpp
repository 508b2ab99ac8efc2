// Stats snapshots: a worker's counters copied, and the copies of several workers merged with the health
// registry into the process's totals (what `stats`, `stats servers` and /metrics render).
#include <catch2/catch.hpp>

#include "proxy/server_health.hpp"
#include "proxy/stats_snapshot.hpp"

using namespace mcrelay;

namespace {

std::uint64_t state(const DestinationTotals& d, DestinationTotals::State s) { return d.states[s]; }

}  // namespace

TEST_CASE("a worker's snapshot copies its counters and its destinations", "[stats_snapshot]") {
  WorkerStats w;
  w.curr_connections.add(3);
  w.cmd[static_cast<int>(Op::get)].add(5);
  w.count_reply(Op::get, Result::found);
  w.latency.record(120);
  w.bytes_read.add(100);
  auto d = w.destination("10.0.0.1:11211");
  d->requests.add(7);
  d->results[static_cast<int>(Result::timeout)].add(2);
  d->connections.add();

  StatsTotals s = snapshot_worker(w);
  CHECK(s.workers == 1);
  CHECK(s.curr_connections == 3);
  CHECK(s.cmd[static_cast<int>(Op::get)] == 5);
  CHECK(s.results[static_cast<int>(Op::get)][static_cast<int>(Result::found)] == 1);
  CHECK(s.latency.count() == 1);
  CHECK(s.latency.sum_us == 120);
  CHECK(s.bytes_read == 100);
  REQUIRE(s.destinations.count("10.0.0.1:11211") == 1);
  const DestinationTotals& dt = s.destinations.at("10.0.0.1:11211");
  CHECK(dt.requests == 7);
  CHECK(dt.errors() == 2);
  CHECK(dt.answered() == 2);
  CHECK(dt.connections == 1);
  // A copy: later counts do not change it.
  w.curr_connections.add();
  d->requests.add();
  CHECK(s.curr_connections == 3);
  CHECK(s.destinations.at("10.0.0.1:11211").requests == 7);
}

TEST_CASE("merging sums the workers and counts each worker's view of a destination in its state",
          "[stats_snapshot]") {
  WorkerStats a, b, c;
  a.total_connections.add(2);
  b.total_connections.add(3);
  c.total_connections.add(4);
  a.cmd[static_cast<int>(Op::set)].add(1);
  b.cmd[static_cast<int>(Op::set)].add(10);
  a.latency.record(40);
  b.latency.record(4000);
  // a: a connection open (up); b: answered once, none open now (closed); c: never used it (new).
  auto da = a.destination("s1");
  da->connections.add();
  da->requests.add(5);
  da->results[static_cast<int>(Result::stored)].add(5);
  auto db = b.destination("s1");
  db->requests.add(1);
  db->results[static_cast<int>(Result::found)].add(1);
  c.destination("s1");
  // s2: failing; one worker has no connection to it (down), another still has one (up).
  a.destination("s2");
  b.destination("s2")->connections.add();

  HealthRegistry registry(3);
  ServerHealth& s2 = registry.get("s2", "10.0.0.2", 11211);
  s2.record_failure(Result::connect_error);
  registry.get("s3", "10.0.0.3", 11211);  // known to the registry, used by no worker

  StatsTotals t = merge_snapshots({snapshot_worker(a), snapshot_worker(b), snapshot_worker(c)}, snapshot_health(registry));
  CHECK(t.workers == 3);
  CHECK(t.total_connections == 9);
  CHECK(t.cmd[static_cast<int>(Op::set)] == 11);
  CHECK(t.latency.count() == 2);
  CHECK(t.latency.sum_us == 4040);

  const DestinationTotals& d1 = t.destinations.at("s1");
  CHECK(d1.requests == 6);
  CHECK(d1.answered() == 6);
  CHECK(d1.connections == 1);
  CHECK(state(d1, DestinationTotals::kUp) == 1);
  CHECK(state(d1, DestinationTotals::kClosed) == 1);
  CHECK(state(d1, DestinationTotals::kNew) == 1);
  CHECK(state(d1, DestinationTotals::kDown) == 0);
  CHECK(d1.host.empty());  // not in the registry

  const DestinationTotals& d2 = t.destinations.at("s2");
  CHECK(state(d2, DestinationTotals::kDown) == 1);
  CHECK(state(d2, DestinationTotals::kUp) == 1);
  CHECK(d2.consecutive_failures == 1);
  CHECK_FALSE(d2.tko);
  CHECK(d2.last_failure == "connect error");
  CHECK(d2.last_failure_result == Result::connect_error);
  CHECK(d2.host == "10.0.0.2");
  CHECK(d2.port == 11211);

  const DestinationTotals& d3 = t.destinations.at("s3");
  CHECK(d3.requests == 0);
  CHECK(d3.last_failure.empty());  // never failed
  for (auto n : d3.states) CHECK(n == 0);
}

TEST_CASE("a server marked down is reported as TKO in the merge", "[stats_snapshot]") {
  HealthRegistry registry(2);
  ServerHealth& h = registry.get("s", "h", 1);
  CHECK_FALSE(h.record_failure(Result::timeout));
  CHECK(h.record_failure(Result::timeout));
  WorkerStats w;
  w.destination("s");
  StatsTotals t = merge_snapshots({snapshot_worker(w)}, snapshot_health(registry));
  const DestinationTotals& d = t.destinations.at("s");
  CHECK(d.tko);
  CHECK(d.tko_events == 1);
  CHECK(d.last_failure == "reply timeout");
  CHECK(state(d, DestinationTotals::kDown) == 1);
  h.mark_up();
  t = merge_snapshots({snapshot_worker(w)}, snapshot_health(registry));
  CHECK_FALSE(t.destinations.at("s").tko);
  CHECK(state(t.destinations.at("s"), DestinationTotals::kNew) == 1);
}

TEST_CASE("merging nothing gives zeros", "[stats_snapshot]") {
  StatsTotals t = merge_snapshots({}, {});
  CHECK(t.workers == 0);
  CHECK(t.destinations.empty());
  CHECK(t.latency.count() == 0);
}
