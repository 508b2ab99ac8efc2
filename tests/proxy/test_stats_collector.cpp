// Cross-worker stats: each source is asked for its snapshot, which it takes on its own thread; the asker gets
// them all, in order, posted to its own io_context. Run with fake sources and with real Workers (no sockets).
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include <boost/asio/post.hpp>

#include "proxy/server_health.hpp"
#include "proxy/stats_collector.hpp"
#include "proxy/worker.hpp"
#include "tests/proxy/fake_server_context.hpp"

using namespace mcrelay;
namespace asio = boost::asio;

namespace {

// A source whose loop is a thread of its own: it answers on that thread.
class ThreadSource final : public SnapshotSource {
 public:
  explicit ThreadSource(std::uint64_t connections) : work_(io_.get_executor()) {
    stats_.total_connections.add(connections);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ThreadSource() {
    work_.reset();
    thread_.join();
  }
  void request_snapshot(UniqueFunction<void(const StatsTotals&)> deliver) override {
    asio::post(io_, [this, deliver = std::move(deliver)]() mutable {
      answered_on = std::this_thread::get_id();
      deliver(snapshot_worker(stats_));
    });
  }
  std::thread::id thread_id() const { return thread_.get_id(); }
  std::thread::id answered_on;

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  WorkerStats stats_;
  std::thread thread_;
};

// A source that answers at once, on the caller's thread (as a Worker whose loop has ended does).
class InlineSource final : public SnapshotSource {
 public:
  void request_snapshot(UniqueFunction<void(const StatsTotals&)> deliver) override {
    StatsTotals t;
    t.workers = 1;
    t.bytes_read = 42;
    deliver(t);
  }
};

// Runs `home` until `done` has been called.
std::vector<StatsTotals> collect(const std::vector<SnapshotSource*>& sources, asio::io_context& home) {
  std::optional<std::vector<StatsTotals>> got;
  collect_snapshots(sources, home, [&](std::vector<StatsTotals> parts) { got = std::move(parts); });
  CHECK_FALSE(got);  // never from inside the call
  home.restart();
  auto work = asio::make_work_guard(home);  // answers arrive from other threads: wait for them
  while (!got) home.run_one();
  return std::move(*got);
}

// Runs `fn` on the worker's thread and waits for it.
template <typename F>
void on_worker(Worker& w, F fn) {
  std::promise<void> ran;
  asio::post(w.io(), [&] {
    fn();
    ran.set_value();
  });
  ran.get_future().wait();
}

}  // namespace

TEST_CASE("snapshots are taken on each source's thread and come back in order", "[stats_collector]") {
  ThreadSource a(1), b(2), c(3);
  asio::io_context home;
  auto parts = collect({&a, &b, &c}, home);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].total_connections == 1);
  CHECK(parts[1].total_connections == 2);
  CHECK(parts[2].total_connections == 3);
  CHECK(a.answered_on == a.thread_id());
  CHECK(c.answered_on == c.thread_id());
}

TEST_CASE("an answer given inside the request, or no source at all, is still delivered posted", "[stats_collector]") {
  asio::io_context home;
  InlineSource inline_source;
  auto parts = collect({&inline_source}, home);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].bytes_read == 42);
  CHECK(collect({}, home).empty());
}

TEST_CASE("workers answer from their loops, and with their last snapshot once the loop has ended",
          "[stats_collector]") {
  Options options;
  options.idle_timeout_ms = 0;
  test::FakeServerContext server;
  Worker w0(0, server, options), w1(1, server, options);
  w0.start();
  w1.start();
  on_worker(w0, [&] { w0.stats().total_connections.add(5); });
  on_worker(w1, [&] { w1.stats().total_connections.add(7); });
  asio::io_context home;
  auto parts = collect({&w0, &w1}, home);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].total_connections == 5);
  CHECK(parts[1].total_connections == 7);

  SECTION("asked on a worker's own thread: its snapshot is as of the call") {
    std::promise<void> asked;
    std::optional<std::vector<StatsTotals>> got;
    asio::post(w0.io(), [&] {
      collect_snapshots({&w0, &w1}, w0.io(), [&](std::vector<StatsTotals> p) { got = std::move(p); });
      w0.stats().total_connections.add(100);  // after the call: not in the snapshot
      asked.set_value();
    });
    asked.get_future().wait();
    std::promise<void> seen;
    // The answer is posted to w0's loop; wait for it there.
    std::function<void()> poll = [&] {
      if (got) {
        seen.set_value();
        return;
      }
      asio::post(w0.io(), poll);
    };
    asio::post(w0.io(), poll);
    seen.get_future().wait();
    REQUIRE(got->size() == 2);
    CHECK((*got)[0].total_connections == 5);
    CHECK((*got)[1].total_connections == 7);
  }

  SECTION("a drained worker answers with the counters it ended with") {
    std::promise<void> drained;
    w1.drain(std::chrono::milliseconds(0), [&] { drained.set_value(); });
    drained.get_future().wait();
    w1.join();
    CHECK(w1.finished());
    auto after = collect({&w0, &w1}, home);
    REQUIRE(after.size() == 2);
    CHECK(after[1].total_connections == 7);
  }
  w0.stop();
  w1.stop();
  w0.join();
  w1.join();
}

TEST_CASE("a snapshot asked while the worker's loop ends is always answered", "[stats_collector]") {
  // The request may land before the last turn (served by the loop), after it (answered by end_of_loop), or
  // once the loop has ended (answered at once): never lost, never twice.
  Options options;
  options.idle_timeout_ms = 0;
  test::FakeServerContext server;
  for (int round = 0; round < 50; ++round) {
    Worker w(0, server, options);
    w.start();
    on_worker(w, [&] { w.stats().total_connections.add(3); });
    w.drain(std::chrono::milliseconds(0), [] {});
    std::promise<std::uint64_t> got;
    int calls = 0;
    w.request_snapshot([&](const StatsTotals& s) {
      if (++calls == 1) got.set_value(s.total_connections);
    });
    auto answer = got.get_future();
    REQUIRE(answer.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(answer.get() == 3);
    w.join();
    CHECK(calls == 1);
  }
}
