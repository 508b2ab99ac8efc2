// MissFailoverRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kABC = R"({"type": "MissFailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})";
}

TEST_CASE("MissFailoverRoute: gets go on until a hit", "[routes][miss_failover_route]") {
  Harness h(kABC);
  CHECK(h.root->type() == "MissFailoverRoute");
  h.d("a:1").reply = Reply(Result::not_found);
  h.d("b:1").reply = hit("b");
  Reply r = h.route(Op::get, "k");
  CHECK(r.value == "b");
  CHECK(h.sent_to("c:1") == 0);

  SECTION("hit first: nobody else asked") {
    h.d("a:1").reply = hit("a");
    CHECK(h.route(Op::gets, "k").value == "a");
    CHECK(h.sent_to("b:1") == 1);
  }
  SECTION("no hit: the last reply, error or not") {
    h.d("b:1").reply = err(Result::timeout);
    h.d("c:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    h.d("c:1").reply = err(Result::connect_error);
    CHECK(h.route(Op::get, "k").result == Result::connect_error);
  }
  SECTION("errors fail over too") {
    h.d("a:1").reply = err(Result::tko);
    CHECK(h.route(Op::gat, "k").value == "b");
  }
  SECTION("deletes fail over on a miss (mcrouter: delete-like)") {
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").reply = Reply(Result::deleted);
    CHECK(h.route(Op::delete_, "k").result == Result::deleted);
  }
  SECTION("other operations go to the first child only") {
    h.d("a:1").reply = err(Result::timeout);
    CHECK(h.route(Op::set, "k").result == Result::timeout);
    CHECK(h.route(Op::incr, "k").result == Result::timeout);
    CHECK(h.route(Op::touch, "k").result == Result::timeout);
    CHECK(h.sent_to("b:1") == 1);
    CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1"});
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
  }
}

TEST_CASE("MissFailoverRoute: return_best_on_error", "[routes][miss_failover_route]") {
  Harness h(R"({"type": "MissFailoverRoute", "children": "Pool|ABC", "return_best_on_error": true})");
  h.d("a:1").reply = err(Result::timeout);
  h.d("b:1").reply = Reply(Result::not_found);
  h.d("c:1").reply = err(Result::connect_error);
  CHECK(h.route(Op::get, "k").result == Result::not_found);
  // Every child failed: the least severe error (mcrouter's order), the first of equals.
  h.d("b:1").reply = Reply::error(Result::remote_error, "b broken");
  Reply r = h.route(Op::get, "k");
  CHECK(r.result == Result::timeout);
  h.d("a:1").reply = Reply::error(Result::remote_error, "a broken");
  r = h.route(Op::get, "k");
  CHECK(r.result == Result::connect_error);
}

TEST_CASE("MissFailoverRoute: async order and a dropped tree", "[routes][miss_failover_route]") {
  Harness h(kABC);
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto k1 = h.start(make_req(Op::get, "k1"));
  auto k2 = h.start(make_req(Op::get, "k2"));
  h.root.reset();
  h.d("a:1").release_one(Reply(Result::not_found));  // k1 -> b
  h.d("a:1").release_one(Reply(Result::not_found));  // k2 -> b
  CHECK(h.d("b:1").seen == std::vector<std::string>{"get k1", "get k2"});
  h.d("b:1").release_one(Reply(Result::not_found));  // k1 -> c
  h.d("b:1").release_one(hit("k2"));
  CHECK(k2->calls == 1);
  CHECK(k1->calls == 0);
  h.d("c:1").release_one(Reply(Result::not_found));
  CHECK(k1->calls == 1);
  CHECK(k1->reply.result == Result::not_found);
}

TEST_CASE("MissFailoverRoute: broadcast and config errors", "[routes][miss_failover_route]") {
  Harness h(kABC);
  auto a = std::make_shared<Answer>();
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).reply = Reply(Result::ok);
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->reply.result == Result::ok);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
  CHECK(build_error(R"({"type": "MissFailoverRoute", "children": "Pool|A", "return_best_on_error": 1})") ==
        "test.json: route.return_best_on_error: expected true or false, got 1");
}
