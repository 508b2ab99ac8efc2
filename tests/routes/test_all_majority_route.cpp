// AllMajorityRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kFour = R"({"type": "AllMajorityRoute",
                              "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C", "PoolRoute|D"]})";
}

TEST_CASE("AllMajorityRoute: answers as soon as half + 1 agree", "[routes][all_majority_route]") {
  Harness h(R"("AllMajorityRoute|Pool|ABC")");
  CHECK(h.root->type() == "AllMajorityRoute");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  h.d("b:1").release_one(hit("b"));
  CHECK(a->calls == 0);
  h.d("c:1").release_one(hit("c"));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::found);
  CHECK(a->reply.value == "c");
  h.d("a:1").release_one(err(Result::timeout));  // late: ignored
  CHECK(a->calls == 1);
}

TEST_CASE("AllMajorityRoute: errors can be the majority", "[routes][all_majority_route]") {
  Harness h(R"("AllMajorityRoute|Pool|ABC")");
  h.d("a:1").reply = err(Result::timeout);
  h.d("b:1").reply = hit("b");
  h.d("c:1").reply = err(Result::timeout);
  CHECK(h.route(Op::get, "k").result == Result::timeout);
}

TEST_CASE("AllMajorityRoute: no majority: most common, ties to the worse", "[routes][all_majority_route]") {
  Harness h(kFour);
  SECTION("2 hits, 2 misses: the miss") {
    h.d("a:1").reply = hit("a");
    h.d("b:1").reply = Reply(Result::not_found);
    h.d("c:1").reply = hit("c");
    h.d("d:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
  }
  SECTION("all different: the worst") {
    h.d("a:1").reply = hit("a");
    h.d("b:1").reply = Reply(Result::not_found);
    h.d("c:1").reply = err(Result::remote_error);
    h.d("d:1").reply = err(Result::timeout);
    CHECK(h.route(Op::get, "k").result == Result::remote_error);  // mcrouter: SERVER_ERROR outranks a timeout
  }
  SECTION("2 of 4 is not a majority: waits for everyone") {
    for (auto* n : {"a:1", "b:1", "c:1", "d:1"}) h.d(n).hold = true;
    auto a = h.start(make_req(Op::set, "k"));
    h.d("d:1").release_one(Reply(Result::stored));
    h.d("a:1").release_one(Reply(Result::stored));
    h.d("b:1").release_one(Reply(Result::not_stored));
    CHECK(a->calls == 0);
    h.root.reset();
    h.d("c:1").release_one(Reply(Result::stored));
    CHECK(a->calls == 1);
    CHECK(a->reply.result == Result::stored);
  }
}
