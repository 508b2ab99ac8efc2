// L1L2SizeSplitRoute (mcrouter's L1L2SizeSplitRoute.h) over scripted destinations: small sets to l1, large
// ones to l2 with a sentinel in l1, and gets that follow the sentinel.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/l1l2_size_split_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kSplit = R"({"type": "L1L2SizeSplitRoute", "l1": "PoolRoute|A", "l2": "PoolRoute|B", "threshold": 10)";

RequestPtr set_req(const std::string& key, const std::string& value, std::uint32_t flags = 3, std::int64_t exptime = 0) {
  auto r = make_req(Op::set, key, exptime);
  r->value = value;
  r->flags = flags;
  return r;
}
}  // namespace

TEST_CASE("L1L2SizeSplitRoute: sets", "[routes][l1l2]") {
  Harness h(kSplit + R"(, "ttl_threshold": 100})");
  SECTION("a value under the threshold goes to l1 only") {
    CHECK(h.route(set_req("k", "small")).result == Result::stored);
    CHECK(h.sent_to("a:1") == 1);
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("a large value goes to l2, then a sentinel to l1") {
    CHECK(h.route(set_req("k", "0123456789abc", 3, 500)).result == Result::stored);
    REQUIRE(h.d("b:1").requests.size() == 1);
    CHECK(h.d("b:1").requests[0]->value == "0123456789abc");
    REQUIRE(h.d("a:1").requests.size() == 1);
    CHECK(h.d("a:1").requests[0]->value.empty());
    CHECK(h.d("a:1").requests[0]->flags == (3 | L1L2SizeSplitRoute::kSizeSplitFlag));
    CHECK(h.d("a:1").requests[0]->exptime == 500);
  }
  SECTION("l2 failing: its reply, no sentinel") {
    h.d("b:1").reply = err(Result::timeout);
    CHECK(h.route(set_req("k", "0123456789abc", 3, 500)).result == Result::timeout);
    CHECK(h.sent_to("a:1") == 0);
  }
  SECTION("a short TTL or a long key keeps a large value in l1") {
    h.route(set_req("k", "0123456789abc", 3, 50));
    h.route(set_req(std::string(240, 'k'), "0123456789abc", 3, 500));
    CHECK(h.sent_to("a:1") == 2);
    CHECK(h.sent_to("b:1") == 0);
  }
}

TEST_CASE("L1L2SizeSplitRoute: both_full_set", "[routes][l1l2]") {
  // mcrouter's factory spells it "bothFullSet"; both spellings are read.
  for (const char* key : {"both_full_set", "bothFullSet"}) {
    INFO(key);
    Harness h(kSplit + ", \"" + key + "\": true}");
    CHECK(h.route(set_req("k", "0123456789abc")).result == Result::stored);
    CHECK(h.d("a:1").requests.at(0)->value == "0123456789abc");
    CHECK(h.d("b:1").requests.at(0)->value == "0123456789abc");
  }
}

TEST_CASE("L1L2SizeSplitRoute: gets follow the sentinel", "[routes][l1l2]") {
  Harness h(kSplit + "}");
  SECTION("a plain l1 hit") {
    h.d("a:1").reply = hit("small", 3);
    CHECK(h.route(Op::get, "k").value == "small");
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("an empty sentinel reads the same key from l2") {
    h.d("a:1").reply = hit("", 3 | L1L2SizeSplitRoute::kSizeSplitFlag);
    h.d("b:1").reply = hit("the big value", 3);
    Reply r = h.route(Op::get, "k");
    CHECK(r.value == "the big value");
    CHECK(r.flags == 3);
    CHECK(h.d("b:1").seen == std::vector<std::string>{"get k"});
  }
  SECTION("a numbered sentinel reads <key>|==|N; a lost l2 item deletes the sentinel") {
    h.d("a:1").reply = hit("1234", 3 | L1L2SizeSplitRoute::kSizeSplitFlag);
    h.d("b:1").reply = hit("big", 1);
    CHECK(h.route(Op::get, "k").value == "big");
    CHECK(h.d("b:1").seen == std::vector<std::string>{"get k|==|1234"});
    h.d("b:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::local_error);
    CHECK(h.d("a:1").seen.back() == "delete k");
    h.d("b:1").reply = err(Result::client_error);
    CHECK(h.route(Op::get, "k").result == Result::client_error);
    CHECK(h.d("a:1").seen.back() == "get k");  // not a failover error: the sentinel stays
  }
  SECTION("other operations go to l1 only") {
    h.route(Op::delete_, "k");
    h.route(Op::add, "k");
    CHECK(h.sent_to("a:1") == 2);
    CHECK(h.sent_to("b:1") == 0);
  }
  CHECK_THAT(build_error(R"({"type": "L1L2SizeSplitRoute", "l1": "PoolRoute|A", "l2": "PoolRoute|B"})"),
             Catch::Contains("missing required field \"threshold\""));
  CHECK_THAT(build_error(kSplit + R"(, "failure_ttl": 0})"), Catch::Contains("failure_ttl"));
}
