// FailoverRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kABC = R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})";
}

TEST_CASE("FailoverRoute: a good first child answers alone", "[routes][failover_route]") {
  Harness h(kABC);
  CHECK(h.root->type() == "FailoverRoute");
  h.d("a:1").reply = hit("x");
  Reply r = h.route(Op::get, "k");
  CHECK(r.result == Result::found);
  CHECK(r.value == "x");
  CHECK(h.d("a:1").seen == std::vector<std::string>{"get k"});
  CHECK(h.sent_to("b:1") == 0);
  CHECK(h.sent_to("c:1") == 0);
}

TEST_CASE("FailoverRoute: errors fail over in order, a miss does not", "[routes][failover_route]") {
  Harness h(kABC);
  SECTION("timeout then hit") {
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = hit("from b");
    Reply r = h.route(Op::get, "k");
    CHECK(r.value == "from b");
    CHECK(h.sent_to("a:1") == 1);
    CHECK(h.sent_to("b:1") == 1);
    CHECK(h.sent_to("c:1") == 0);
  }
  SECTION("a miss is returned as is") {
    h.d("a:1").reply = Reply(Result::not_found);
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("CLIENT_ERROR is not a failover error by default") {
    h.d("a:1").reply = err(Result::client_error);
    CHECK(h.route(Op::set, "k").result == Result::client_error);
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("all fail: the last child's reply") {
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = err(Result::tko);
    h.d("c:1").reply = Reply::error(Result::remote_error, "out of memory");
    Reply r = h.route(Op::set, "k");
    CHECK(r.result == Result::remote_error);
    CHECK(r.value == "out of memory");
    CHECK(h.sent_to("c:1") == 1);
  }
  SECTION("every default failover error moves on") {
    for (Result e : {Result::busy, Result::tko, Result::local_error, Result::connect_error, Result::connect_timeout,
                     Result::timeout, Result::remote_error}) {
      h.d("a:1").reply = err(e);
      h.d("b:1").reply = Reply(Result::deleted);
      INFO(result_name(e));
      CHECK(h.route(Op::delete_, "k").result == Result::deleted);
    }
  }
}

TEST_CASE("FailoverRoute: failover_errors as a list and per operation class", "[routes][failover_route]") {
  SECTION("list") {
    Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                  "failover_errors": ["timeout", "connect_error"]})");
    h.d("b:1").reply = hit("b");
    h.d("a:1").reply = err(Result::tko);
    CHECK(h.route(Op::get, "k").result == Result::tko);
    h.d("a:1").reply = err(Result::timeout);
    CHECK(h.route(Op::get, "k").result == Result::found);
    h.d("a:1").reply = err(Result::remote_error);
    CHECK(h.route(Op::get, "k").result == Result::remote_error);
  }
  SECTION("object") {
    Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                  "failover_errors": {"gets": ["timeout"], "updates": []}})");
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = Reply(Result::stored);
    CHECK(h.route(Op::get, "k").result == Result::stored);      // gets: timeout listed
    CHECK(h.route(Op::set, "k").result == Result::timeout);     // updates: nothing fails over
    CHECK(h.route(Op::delete_, "k").result == Result::stored);  // deletes: the default set
    CHECK(h.route(Op::incr, "k").result == Result::stored);     // arithmetic: the default set
    h.d("a:1").reply = err(Result::tko);
    CHECK(h.route(Op::gets, "k").result == Result::tko);        // gets: tko not listed
  }
}

TEST_CASE("FailoverRoute: asynchronous answers in any order", "[routes][failover_route]") {
  Harness h(kABC);
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto first = h.start(make_req(Op::get, "k1"));
  auto second = h.start(make_req(Op::get, "k2"));
  CHECK(first->calls == 0);
  CHECK(h.d("a:1").seen == std::vector<std::string>{"get k1", "get k2"});
  // k1's first attempt times out; k2's first answers; then k1's second.
  h.d("a:1").release_one(err(Result::timeout));
  CHECK(first->calls == 0);
  CHECK(h.d("b:1").seen == std::vector<std::string>{"get k1"});
  h.d("a:1").release_one(hit("k2@a"));
  CHECK(second->calls == 1);
  CHECK(second->reply.value == "k2@a");
  h.d("b:1").release_one(err(Result::connect_error));
  CHECK(h.d("c:1").seen == std::vector<std::string>{"get k1"});
  h.d("c:1").release_one(hit("k1@c"));
  CHECK(first->calls == 1);
  CHECK(first->reply.value == "k1@c");
  CHECK(second->calls == 1);
}

TEST_CASE("FailoverRoute: finishing after the tree was dropped", "[routes][failover_route]") {
  Harness h(kABC);
  h.d("a:1").hold = true;
  h.d("b:1").reply = hit("b");
  auto a = h.start(make_req(Op::get, "k"));
  std::weak_ptr<RouteHandle> weak = h.root;
  h.root.reset();
  CHECK_FALSE(weak.expired());  // the pending attempt keeps it
  h.d("a:1").release_one(err(Result::timeout));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "b");
  CHECK(weak.expired());
}

TEST_CASE("FailoverRoute: broadcast reaches every child, worst reply", "[routes][failover_route]") {
  Harness h(kABC);
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).reply = Reply(Result::ok);
  h.d("b:1").reply = err(Result::timeout);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::timeout);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
}

TEST_CASE("FailoverRoute: shorthand, introspection and empty lists", "[routes][failover_route]") {
  Harness h(R"("FailoverRoute|Pool|ABC")");
  CHECK(h.root->type() == "FailoverRoute");
  h.d("a:1").reply = err(Result::tko);
  h.d("b:1").reply = hit("b");
  CHECK(h.route(Op::get, "k").value == "b");
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
  Harness empty(R"({"type": "FailoverRoute", "children": []})");
  CHECK(empty.root->type() == "NullRoute");
}

TEST_CASE("FailoverRoute: failover_limit and failover_policy.max_tries", "[routes][failover_route]") {
  SECTION("rate 0, burst 1: one failover, then none (TKO is free)") {
    Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                  "failover_limit": {"rate": 0, "burst": 1}})");
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = hit("b");
    CHECK(h.route(Op::get, "k").result == Result::found);
    CHECK(h.route(Op::get, "k").result == Result::timeout);
    h.d("a:1").reply = err(Result::tko);
    CHECK(h.route(Op::get, "k").result == Result::found);
  }
  SECTION("rate 0.5 refills one token every other request") {
    Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                  "failover_limit": {"rate": 0.5, "burst": 1}})");
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = hit("b");
    int failed_over = 0;
    for (int i = 0; i < 10; ++i) failed_over += h.route(Op::get, "k").result == Result::found;
    CHECK(failed_over == 5);
  }
  SECTION("max_tries") {
    Harness h(R"({"type": "FailoverRoute", "children": "Pool|ABC",
                  "failover_policy": {"type": "FailoverInOrderPolicy", "max_tries": 2}})");
    h.d("a:1").reply = err(Result::timeout);
    h.d("b:1").reply = err(Result::timeout);
    CHECK(h.route(Op::get, "k").result == Result::timeout);
    CHECK(h.sent_to("c:1") == 0);
  }
}

TEST_CASE("FailoverRoute: config errors name the path", "[routes][failover_route]") {
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"],
                        "failover_errors": ["timeout", "timeuot"]})") ==
        "test.json: route.failover_errors[1]: unknown error kind \"timeuot\"; did you mean \"timeout\"?");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"], "failover_errors": ["nope"]})")
            .find("test.json: route.failover_errors[0]: unknown error kind \"nope\" (valid: aborted, ") == 0);
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"],
                        "failover_errors": {"sets": []}})") ==
        "test.json: route.failover_errors: unknown key \"sets\" in failover_errors (did you mean \"gets\"?)");
  Harness other(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"], "failover_errors": {"arith": []}})");
  CHECK(other.warnings == std::vector<std::string>{"test.json: route.failover_errors: unknown key \"arith\" in "
                                                   "failover_errors ignored (known keys: gets, updates, deletes)"});
  CHECK(build_error(R"({"type": "FailoverRoute", "chidren": ["PoolRoute|A"]})") ==
        "test.json: route: unknown key \"chidren\" in FailoverRoute (did you mean \"children\"?)");
  CHECK(build_error(R"({"type": "FailoverRoute"})") == "test.json: route: missing required field \"children\"");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": 3})") ==
        "test.json: route.children: expected a list of routes or \"Pool|NAME\", got number");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "FailovrRoute|Pool|B"]})") ==
        "test.json: route.children[1]: unknown route handle type \"FailovrRoute\"; did you mean \"FailoverRoute\"?");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"], "failover_limit": {"burst": 3}})") ==
        "test.json: route.failover_limit: missing required field \"rate\"");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"],
                        "failover_policy": {"type": "FailoverLeastFailuresPolicy"}})")
            .find("test.json: route.failover_policy.type: failover policy \"FailoverLeastFailuresPolicy\" is not "
                  "supported") == 0);
}

TEST_CASE("FailoverRoute: failover_tag and enable_lease_pairing are mcrouter's bools, ignored",
          "[routes][failover_route]") {
  for (const char* tag : {"true", "false"}) {
    Harness h(std::string(R"({"type": "FailoverRoute", "children": "Pool|ABC", "failover_tag": )") + tag +
              R"(, "enable_lease_pairing": )" + tag + "}");
    h.d("a:1").reply = err(Result::timeout);
    CHECK(h.route(Op::set, "k").result == Result::stored);  // behaviour unchanged
    CHECK(h.sent_to("b:1") == 1);
  }
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"], "failover_tag": "tag"})") ==
        "test.json: route.failover_tag: expected true or false, got \"tag\"");
  CHECK(build_error(R"({"type": "FailoverRoute", "children": ["PoolRoute|A"], "failover_tag": 1})") ==
        "test.json: route.failover_tag: expected true or false, got 1");
  // The same parsing serves LatestRoute and FailoverWithExptimeRoute.
  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "failover_tag": true})") == "no error");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                        "failover_tag": true})") == "no error");
  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "failover_tag": "x"})") ==
        "test.json: route.failover_tag: expected true or false, got \"x\"");
}
