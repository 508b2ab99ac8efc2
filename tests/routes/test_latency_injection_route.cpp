// LatencyInjectionRoute over a manual RouteTimer: before, after and total latencies, in mcrouter's order.
#include <catch2/catch.hpp>

#include <deque>

#include "route_test_util.hpp"
#include "routes/latency_injection_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;
using std::chrono::milliseconds;

namespace {

class ManualTimer final : public RouteTimer {
 public:
  void run_after(milliseconds delay, UniqueFunction<void()> fn) override {
    pending.push_back({now_ + delay, std::move(fn)});
    delays.push_back(delay.count());
  }
  std::chrono::steady_clock::time_point now() const noexcept override { return now_; }
  // Advances the clock by `d` and runs what is due, in order.
  void advance(milliseconds d) {
    now_ += d;
    while (!pending.empty() && pending.front().first <= now_) {
      auto fn = std::move(pending.front().second);
      pending.pop_front();
      fn();
    }
  }
  std::deque<std::pair<std::chrono::steady_clock::time_point, UniqueFunction<void()>>> pending;
  std::vector<long> delays;

 private:
  std::chrono::steady_clock::time_point now_{};
};

}  // namespace

TEST_CASE("LatencyInjectionRoute: before delays the request, after delays the reply", "[routes][latency_injection_route]") {
  Harness h(R"("PoolRoute|A")");
  h.d("a:1").reply = hit("v");
  ManualTimer timer;
  auto route = std::make_shared<LatencyInjectionRoute>(h.root, &timer, milliseconds(10), milliseconds(20), milliseconds(0));
  auto a = std::make_shared<Answer>();
  route->route(make_req(Op::get, "k"), capture(a));
  CHECK(h.sent_to("a:1") == 0);
  timer.advance(milliseconds(9));
  CHECK(h.sent_to("a:1") == 0);
  timer.advance(milliseconds(1));
  CHECK(h.sent_to("a:1") == 1);
  CHECK(a->calls == 0);
  timer.advance(milliseconds(19));
  CHECK(a->calls == 0);
  timer.advance(milliseconds(1));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "v");
  CHECK(timer.delays == std::vector<long>{10, 20});
}

TEST_CASE("LatencyInjectionRoute: total pads up to the total, not beyond", "[routes][latency_injection_route]") {
  Harness h(R"("PoolRoute|A")");
  h.d("a:1");
  h.d("a:1").hold = true;
  ManualTimer timer;
  auto route = std::make_shared<LatencyInjectionRoute>(h.root, &timer, milliseconds(0), milliseconds(0), milliseconds(50));
  auto a = std::make_shared<Answer>();
  route->route(make_req(Op::get, "k"), capture(a));
  CHECK(h.sent_to("a:1") == 1);  // no before: sent at once
  timer.advance(milliseconds(30));
  h.d("a:1").release_one(hit("v"));  // the server took 30 ms: 20 more
  CHECK(a->calls == 0);
  CHECK(timer.delays == std::vector<long>{20});
  timer.advance(milliseconds(20));
  CHECK(a->calls == 1);
  // A slow server (60 ms > total): no padding.
  auto b = std::make_shared<Answer>();
  route->route(make_req(Op::get, "k"), capture(b));
  timer.advance(milliseconds(60));
  h.d("a:1").release_one(hit("w"));
  CHECK(b->calls == 1);
  CHECK(timer.delays.size() == 1);
}

TEST_CASE("LatencyInjectionRoute: config", "[routes][latency_injection_route]") {
  CHECK(Harness(R"({"type": "LatencyInjectionRoute", "child": "PoolRoute|A", "before_latency_ms": 0})").root->type() ==
        "PoolRoute");
  Harness h(R"({"type": "LatencyInjectionRoute", "child": "PoolRoute|A", "after_latency_ms": 5})");
  CHECK(h.root->type() == "LatencyInjectionRoute");
  CHECK(h.route(Op::get, "k").result == Result::stored);  // no timer in the test provider: not delayed
  CHECK_THAT(build_error(R"({"type": "LatencyInjectionRoute", "child": "PoolRoute|A"})"),
             Catch::Contains("must specify either 'before_latency_ms'"));
  CHECK_THAT(build_error(R"({"type": "LatencyInjectionRoute", "before_latency_ms": 1})"),
             Catch::Contains("missing required field \"child\""));
  CHECK_THAT(build_error(R"({"type": "LatencyInjectionRoute", "child": "NullRoute", "before_latency_ms": "1"})"),
             Catch::Contains("route.before_latency_ms: expected an integer"));
}
