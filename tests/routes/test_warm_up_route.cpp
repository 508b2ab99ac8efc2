// WarmUpRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include <ctime>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kWarmUp = R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "exptime": 300})";
}

TEST_CASE("WarmUpRoute: get", "[routes][warm_up_route]") {
  Harness h(kWarmUp);
  CHECK(h.root->type() == "WarmUpRoute");
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  SECTION("a cold hit stays cold") {
    cold.reply = hit("c");
    CHECK(h.route(Op::get, "k").value == "c");
    CHECK(warm.seen.empty());
  }
  SECTION("cold miss, warm hit: the warm value, added to cold") {
    cold.script = {Reply(Result::not_found), Reply(Result::stored)};
    warm.reply = hit("w", 17);
    Reply r = h.route(Op::get, "/r/c/k");
    CHECK(r.value == "w");
    CHECK(r.flags == 17);
    CHECK(cold.seen == std::vector<std::string>{"get k", "add k"});
    const auto& add = *cold.requests[1];
    CHECK(add.op == Op::add);
    CHECK(add.key == "/r/c/k");
    CHECK(add.prefix_len == 5);
    CHECK(add.value == "w");
    CHECK(add.flags == 17);
    CHECK(add.exptime == 300);
  }
  SECTION("cold miss, warm miss or error: warm's reply, nothing added") {
    cold.reply = Reply(Result::not_found);
    warm.reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    warm.reply = err(Result::timeout);
    CHECK(h.route(Op::get, "k").result == Result::timeout);
    CHECK(cold.seen == std::vector<std::string>{"get k", "get k"});
  }
  SECTION("a cold error also asks warm") {
    cold.script = {err(Result::tko)};
    warm.reply = hit("w");
    CHECK(h.route(Op::get, "k").value == "w");
  }
}

TEST_CASE("WarmUpRoute: gets, gat, gats ask cold again after the add", "[routes][warm_up_route]") {
  Harness h(kWarmUp);
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  warm.reply = hit("w", 3);
  SECTION("gets") {
    Reply again = hit("w", 3);
    again.cas = 99;
    cold.script = {Reply(Result::not_found), Reply(Result::stored), again};
    Reply r = h.route(Op::gets, "k");
    CHECK(r.cas == 99);
    CHECK(cold.seen == std::vector<std::string>{"gets k", "add k", "gets k"});
    CHECK(warm.seen == std::vector<std::string>{"get k"});
    CHECK(cold.requests[1]->exptime == 300);
  }
  SECTION("gat uses its own exptime for the add") {
    cold.script = {Reply(Result::not_found), Reply(Result::stored), hit("w")};
    h.route(make_req(Op::gat, "k", 77));
    CHECK(cold.seen == std::vector<std::string>{"gat k", "add k", "gat k"});
    CHECK(cold.requests[1]->exptime == 77);
  }
  SECTION("no warm hit: cold's miss") {
    warm.reply = Reply(Result::not_found);
    cold.reply = Reply(Result::not_found);
    CHECK(h.route(Op::gats, "k").result == Result::not_found);
    CHECK(cold.seen == std::vector<std::string>{"gats k"});
  }
}

TEST_CASE("WarmUpRoute: updates go to cold only; meta get", "[routes][warm_up_route]") {
  Harness h(kWarmUp);
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  for (Op op : {Op::set, Op::add, Op::delete_, Op::incr, Op::touch}) h.route(op, "k");
  CHECK(cold.seen.size() == 5);
  CHECK(warm.seen.empty());
  cold.reply = Reply(Result::not_found);
  warm.reply = hit("w");
  // A meta get warms cold too: a plain get from warm, an add to cold, then the client's mg to cold again.
  h.route(Op::mg, "k");
  CHECK(cold.seen.size() == 8);
  CHECK(cold.seen[5] == "mg k");
  CHECK(cold.seen[6] == "add k");
  CHECK(cold.seen[7] == "mg k");
  CHECK(warm.seen == std::vector<std::string>{"get k"});
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1"});
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1"});
}

TEST_CASE("WarmUpRoute: asynchronous, and the tree dropped mid-way", "[routes][warm_up_route]") {
  Harness h(kWarmUp);
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  cold.hold = warm.hold = true;
  auto a = h.start(make_req(Op::gets, "k"));
  h.root.reset();
  cold.release_one(Reply(Result::not_found));
  warm.release_one(hit("w"));
  CHECK(cold.seen == std::vector<std::string>{"gets k", "add k"});
  cold.release_one(Reply(Result::stored));
  CHECK(a->calls == 0);
  cold.release_one(hit("w"));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "w");

  // get: the answer does not wait for the background add.
  Harness g(kWarmUp);
  g.d("a:1").reply = Reply(Result::not_found);
  g.d("b:1").reply = hit("w");
  g.d("a:1").script = {Reply(Result::not_found)};
  g.d("a:1").hold = false;
  auto b = g.start(make_req(Op::get, "k"));
  CHECK(b->calls == 1);
}

TEST_CASE("WarmUpRoute: config errors", "[routes][warm_up_route]") {
  CHECK(build_error(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A"})") ==
        "test.json: route: missing required field \"warm\"");
  CHECK(build_error(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "exptime": -5})") ==
        "test.json: route.exptime: expected a non-negative integer, got -5");
}

TEST_CASE("WarmUpRoute without exptime copies the warm item's remaining TTL (metaget)", "[routes][warm_up_route]") {
  const std::string kNoExptime = R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B"})";
  auto metaget_hit = [](std::int64_t expiry) {
    Reply r(Result::found);
    r.exptime = expiry;
    return r;
  };
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  SECTION("get: the add carries the remaining TTL") {
    Harness h(kNoExptime);
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").script = {hit("w", 4), metaget_hit(now + 100)};
    CHECK(h.route(Op::get, "k").value == "w");
    CHECK(h.d("b:1").seen == std::vector<std::string>{"get k", "metaget k"});
    REQUIRE(h.d("a:1").requests.size() == 2);
    const auto& add = *h.d("a:1").requests[1];
    CHECK(add.op == Op::add);
    CHECK(add.flags == 4);
    CHECK(add.exptime > 95);
    CHECK(add.exptime <= 100);
  }
  SECTION("a warm item that never expires is copied with exptime 0") {
    Harness h(kNoExptime);
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").script = {hit("w"), metaget_hit(0)};
    h.route(Op::get, "k");
    REQUIRE(h.d("a:1").requests.size() == 2);
    CHECK(h.d("a:1").requests[1]->exptime == 0);
  }
  SECTION("expired or gone on warm: nothing is copied") {
    Harness h(kNoExptime);
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").script = {hit("w"), metaget_hit(now - 5), hit("w"), Reply(Result::not_found)};
    CHECK(h.route(Op::get, "k").value == "w");
    CHECK(h.route(Op::get, "k").value == "w");
    CHECK(h.d("a:1").requests.size() == 2);  // the two cold gets, no add
  }
  SECTION("gets: the TTL is learnt before the add, then cold answers") {
    Harness h(kNoExptime);
    h.d("a:1").script = {Reply(Result::not_found), Reply(Result::stored), hit("w")};
    h.d("b:1").script = {hit("w"), metaget_hit(now + 50)};
    CHECK(h.route(Op::gets, "k").value == "w");
    REQUIRE(h.d("a:1").requests.size() == 3);
    CHECK(h.d("a:1").requests[1]->op == Op::add);
    CHECK(h.d("a:1").requests[1]->exptime > 45);
    CHECK(h.d("a:1").requests[1]->exptime <= 50);
  }
  SECTION("enable_metaget: false copies with exptime 0 and sends no metaget") {
    Harness h(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "enable_metaget": false})");
    h.d("a:1").reply = Reply(Result::not_found);
    h.d("b:1").reply = hit("w");
    h.route(Op::get, "k");
    CHECK(h.d("b:1").seen == std::vector<std::string>{"get k"});
    REQUIRE(h.d("a:1").requests.size() == 2);
    CHECK(h.d("a:1").requests[1]->exptime == 0);
  }
}
