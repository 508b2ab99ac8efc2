// StatsRates: mcrouter's per-second rates over the last four minutes, from counters sampled when read.
#include <catch2/catch.hpp>

#include "proxy/stats_rates.hpp"

using namespace mcrelay;
using namespace std::chrono_literals;

TEST_CASE("the first read is the average since start", "[stats_rates]") {
  auto t0 = StatsRates::Clock::now();
  StatsRates rates(t0);
  auto r = rates.rates({100, 0}, t0 + 10s);
  REQUIRE(r.size() == 2);
  CHECK(r[0] == Approx(10.0));
  CHECK(r[1] == 0.0);
}

TEST_CASE("later reads average since the oldest sample of the window", "[stats_rates]") {
  auto t0 = StatsRates::Clock::now();
  StatsRates rates(t0);
  rates.rates({100}, t0 + 10s);                        // sample (10 s, 100)
  CHECK(rates.rates({160}, t0 + 20s)[0] == Approx(6.0));  // (160 - 100) / 10 s; sample (20 s, 160)
  CHECK(rates.rates({200}, t0 + 30s)[0] == Approx(5.0));  // (200 - 100) / 20 s: the oldest sample is the base
  // Four minutes on, the first samples have left the window: the base is the newest sample that is at most
  // 240 s old... or the last one before it, while nothing newer is old enough.
  CHECK(rates.rates({200}, t0 + 10s + 250s)[0] == Approx(40.0 / 240.0));  // base (20 s, 160)
}

TEST_CASE("a read within a second of the last sample adds no sample", "[stats_rates]") {
  auto t0 = StatsRates::Clock::now();
  StatsRates rates(t0);
  rates.rates({10}, t0 + 1s);
  rates.rates({20}, t0 + 1500ms);  // not sampled: base stays (1 s, 10)
  CHECK(rates.rates({30}, t0 + 3s)[0] == Approx(10.0));  // (30 - 10) / 2 s
}

TEST_CASE("a counter that went down (a new set of counters) gives 0, not a huge rate", "[stats_rates]") {
  auto t0 = StatsRates::Clock::now();
  StatsRates rates(t0);
  rates.rates({10, 5}, t0 + 1s);
  auto r = rates.rates({4, 9}, t0 + 3s);
  CHECK(r[0] == 0.0);
  CHECK(r[1] == Approx(2.0));
  CHECK(rates.rates({1, 2, 3}, t0 + 5s).size() == 3);  // more counters: history restarts
}
