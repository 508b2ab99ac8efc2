// L1L2CacheRoute (mcrouter's L1L2CacheRoute.h) over scripted destinations: l1 hits, l2 fills with `add`,
// negative caching and its periodic refresh.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/l1l2_cache_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kL1L2 = R"({"type": "L1L2CacheRoute", "l1": "PoolRoute|A", "l2": "PoolRoute|B",
                              "upgradingL1Exptime": 30)";
}

TEST_CASE("L1L2CacheRoute: l1 hit, l2 fill with add", "[routes][l1l2]") {
  Harness h(kL1L2 + "}");
  SECTION("an l1 hit is returned, l2 untouched") {
    h.d("a:1").reply = hit("one", 5);
    CHECK(h.route(Op::get, "k").value == "one");
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("an l1 miss reads l2 and adds its value to l1 with upgradingL1Exptime and l2's flags") {
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").reply = hit("two", 7);
    Reply r = h.route(Op::get, "k");
    CHECK(r.value == "two");
    CHECK(r.flags == 7);
    REQUIRE(h.d("a:1").requests.size() == 2);
    const auto& add = *h.d("a:1").requests[1];
    CHECK(add.op == Op::add);
    CHECK(add.value == "two");
    CHECK(add.flags == 7);
    CHECK(add.exptime == 30);
  }
  SECTION("without ncacheUpdatePeriod an l2 miss is not cached") {
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.d("a:1").requests.size() == 1);
  }
  SECTION("everything but get goes to l1 only") {
    for (Op op : {Op::set, Op::delete_, Op::gets, Op::touch}) {
      h.route(op, "k");
    }
    CHECK(h.sent_to("a:1") == 4);
    CHECK(h.sent_to("b:1") == 0);
    CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1"});
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1"});
  }
}

TEST_CASE("L1L2CacheRoute: negative caching", "[routes][l1l2]") {
  Harness h(kL1L2 + R"(, "ncacheExptime": 10, "ncacheUpdatePeriod": 3})");
  SECTION("an l2 miss adds the ncache entry to l1") {
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    REQUIRE(h.d("a:1").requests.size() == 2);
    const auto& add = *h.d("a:1").requests[1];
    CHECK(add.op == Op::add);
    CHECK(add.value == "ncache");
    CHECK(add.flags == L1L2CacheRoute::kNegativeCacheFlag);
    CHECK(add.exptime == 10);
  }
  SECTION("an ncache hit reads as a miss; every 3rd one refreshes l1 from l2") {
    h.d("a:1").reply = hit("ncache", L1L2CacheRoute::kNegativeCacheFlag);
    h.d("b:1").reply = hit("fresh", 2);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.sent_to("b:1") == 0);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.sent_to("b:1") == 1);
    REQUIRE(h.d("a:1").requests.size() == 4);
    CHECK(h.d("a:1").requests[3]->op == Op::set);
    CHECK(h.d("a:1").requests[3]->value == "fresh");
    CHECK(h.d("a:1").requests[3]->exptime == 30);
    // l2 still missing: the ncache entry's TTL is bumped with a set.
    h.d("b:1").reply = Reply(Result::not_found);
    for (int i = 0; i < 3; ++i) h.route(Op::get, "k");
    CHECK(h.d("a:1").requests.back()->op == Op::set);
    CHECK(h.d("a:1").requests.back()->value == "ncache");
    CHECK(h.d("a:1").requests.back()->exptime == 10);
  }
}

TEST_CASE("L1L2CacheRoute: config errors", "[routes][l1l2]") {
  CHECK_THAT(build_error(R"({"type": "L1L2CacheRoute", "l1": "PoolRoute|A", "l2": "PoolRoute|B"})"),
             Catch::Contains("missing required field \"upgradingL1Exptime\""));
  CHECK_THAT(build_error(kL1L2 + R"(, "ncacheExptime": "x"})"), Catch::Contains("ncacheExptime"));
}
