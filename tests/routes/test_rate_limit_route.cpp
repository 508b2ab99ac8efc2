// RateLimitRoute: folly-style token buckets per kind (gets, sets, deletes), denied requests answered with
// NullRoute's reply.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/rate_limit_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("TokenBucket: starts empty, fills at rate up to burst", "[routes][rate_limit_route]") {
  // Binary-exact times: folly's arithmetic is in doubles too (0.1 s * 10/s is just under one token there).
  TokenBucket b(8.0, 3.0, 100.0);
  CHECK_FALSE(b.consume(100.0));
  CHECK(b.consume(100.125));  // one token after 1/8 s
  CHECK_FALSE(b.consume(100.125));
  int passed = 0;
  for (int i = 0; i < 10; ++i) passed += b.consume(200.0);  // long idle: capped at the burst
  CHECK(passed == 3);
}

TEST_CASE("RateLimitRoute limits each kind by its own bucket", "[routes][rate_limit_route]") {
  Harness h(R"("PoolRoute|A")");
  double now = 0.0;
  RateLimitRoute::Rates rates;
  rates.gets = std::make_pair(2.0, 4.0);
  rates.sets = std::make_pair(1.0, 1.0);
  RateLimitRoute rl(h.root, rates, [&now] { return now; });
  auto route = [&](Op op) {
    auto a = std::make_shared<Answer>();
    rl.route(make_req(op, "k"), capture(a));
    REQUIRE(a->calls == 1);
    return a->reply.result;
  };
  h.d("a:1").reply = hit("v");
  CHECK(route(Op::get) == Result::not_found);  // empty at start: denied, a miss
  CHECK(route(Op::set) == Result::not_stored);
  CHECK(route(Op::delete_) == Result::found);   // no deletes_rate: never limited (the fake answers a hit)
  now = 10.0;
  int gets = 0;
  for (int i = 0; i < 10; ++i) gets += route(Op::get) == Result::found;
  CHECK(gets == 4);  // the burst
  int sets = 0;
  for (int i = 0; i < 3; ++i) sets += route(Op::set) == Result::found;
  CHECK(sets == 1);
  CHECK(route(Op::touch) == Result::found);  // not limited
  now = 10.5;
  CHECK(route(Op::gets) == Result::found);  // 0.5 s * 2/s = 1 token
  CHECK(route(Op::get) == Result::not_found);
  CHECK(h.sent_to("a:1") == 1 + 4 + 1 + 1 + 1);
}

TEST_CASE("RateLimitRoute from JSON, and its config errors", "[routes][rate_limit_route]") {
  Harness h(R"({"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"sets_rate": 1000}})");
  CHECK(h.root->type() == "RateLimitRoute");
  h.route(Op::get, "k");  // gets unlimited
  CHECK(h.sent_to("a:1") == 1);
  CHECK_THAT(build_error(R"({"type": "RateLimitRoute", "target": "NullRoute"})"),
             Catch::Contains("missing required field \"rates\""));
  CHECK_THAT(build_error(R"({"type": "RateLimitRoute", "target": "NullRoute", "rates": {"gets_rate": 0}})"),
             Catch::Contains("route.rates.gets_rate: must be a positive number, got 0"));
  CHECK_THAT(build_error(R"({"type": "RateLimitRoute", "target": "NullRoute", "rates": {"get_rate": 1}})"),
             Catch::Contains("unknown key \"get_rate\" in rates"));
}
