// OperationSelectorRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("OperationSelectorRoute: by operation, else the default policy", "[routes][operation_selector_route]") {
  Harness h(R"({"type": "OperationSelectorRoute",
                "operation_policies": {"get": "PoolRoute|A", "set": "PoolRoute|B", "delete": "PoolRoute|C",
                                       "incr": "PoolRoute|D", "metaget": "PoolRoute|A"},
                "default_policy": "PoolRoute|E"})");
  CHECK(h.root->type() == "OperationSelectorRoute");
  struct Case {
    Op op;
    const char* dest;
  };
  for (Case c : {Case{Op::get, "a:1"}, Case{Op::set, "b:1"}, Case{Op::delete_, "c:1"}, Case{Op::incr, "d:1"},
                 Case{Op::gets, "e:1"}, Case{Op::gat, "e:1"}, Case{Op::add, "e:1"}, Case{Op::decr, "e:1"},
                 Case{Op::touch, "e:1"}, Case{Op::mg, "a:1"}, Case{Op::ms, "b:1"}, Case{Op::md, "c:1"},
                 Case{Op::ma, "d:1"}, Case{Op::me, "a:1"}, Case{Op::mn, "e:1"}}) {
    INFO(op_name(c.op));
    auto before = h.sent_to(c.dest);
    h.route(c.op, "k");
    CHECK(h.sent_to(c.dest) == before + 1);
    CHECK(h.where(c.op, "k") == std::vector<std::string>{c.dest});
  }
}

TEST_CASE("OperationSelectorRoute: no policy and no default: the default reply", "[routes][operation_selector_route]") {
  Harness h(R"({"type": "OperationSelectorRoute", "operation_policies": {"get": "PoolRoute|A"}})");
  h.d("a:1").reply = hit("a");
  CHECK(h.route(Op::get, "k").result == Result::found);
  CHECK(h.route(Op::gets, "k").result == Result::not_found);
  CHECK(h.route(Op::set, "k").result == Result::not_stored);
  CHECK(h.where(Op::set, "k").empty());
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->reply.result == Result::ok);
  CHECK(h.sent_to("a:1") == 1);
}

TEST_CASE("OperationSelectorRoute: the reference config", "[routes][operation_selector_route]") {
  auto cfg = config::parse_config(
      R"({"pools": {"A": {"servers": ["10.0.0.1:11211", "10.0.0.2:11211"]}},
          "route": {"type": "OperationSelectorRoute",
                    "operation_policies": {"add": "AllSyncRoute|Pool|A", "delete": "AllSyncRoute|Pool|A",
                                           "get": "LatestRoute|Pool|A", "set": "AllSyncRoute|Pool|A"}}})",
      "test.json");
  ScriptedProvider dests;
  auto root = RouteFactory(cfg, dests).build(cfg.routes.at(0).route, "route");
  auto& d1 = *dests.dests.at("10.0.0.1:11211");
  auto& d2 = *dests.dests.at("10.0.0.2:11211");
  d1.reply = d2.reply = Reply(Result::stored);
  auto a = std::make_shared<Answer>();
  root->route(make_req(Op::set, "k"), capture(a));
  CHECK(a->reply.result == Result::stored);
  CHECK(d1.seen.size() == 1);
  CHECK(d2.seen.size() == 1);
  d1.reply = d2.reply = hit("v");
  root->route(make_req(Op::get, "k"), capture(a));
  CHECK(a->reply.result == Result::found);
  CHECK(d1.seen.size() + d2.seen.size() == 3);  // one of the two replicas
  std::vector<std::string> where;
  root->collect_destinations(*make_req(Op::get, "k"), where);
  CHECK(where.size() == 2);  // LatestRoute: both, in its failover order
}

TEST_CASE("OperationSelectorRoute: config errors", "[routes][operation_selector_route]") {
  CHECK(build_error(R"({"type": "OperationSelectorRoute", "operation_policies": {"gte": "PoolRoute|A"}})") ==
        "test.json: route.operation_policies.gte: unknown operation \"gte\"; did you mean \"get\"?");
  CHECK(build_error(R"({"type": "OperationSelectorRoute", "operation_policies": {"flush_all": "PoolRoute|A"}})") ==
        "test.json: route.operation_policies.flush_all: unknown operation \"flush_all\"; did you mean \"flushall\"?");
  CHECK(build_error(R"({"type": "OperationSelectorRoute", "operation_policies": {"frobnicate": "PoolRoute|A"}})")
            .find("test.json: route.operation_policies.frobnicate: unknown operation \"frobnicate\" (valid: add, "
                  "append, ") == 0);
  CHECK(build_error(R"({"type": "OperationSelectorRoute",
                        "operation_policies": {"get": {"type": "FailoverRoute",
                                                       "children": ["PoolRoute|A", {"type": "FailovrRoute"}]}}})") ==
        "test.json: route.operation_policies.get.children[1]: unknown route handle type \"FailovrRoute\"; "
        "did you mean \"FailoverRoute\"?");
  CHECK(build_error(R"({"type": "OperationSelectorRoute"})") ==
        "test.json: route: OperationSelectorRoute needs \"operation_policies\" or \"default_policy\"");
  CHECK(build_error(R"({"type": "OperationSelectorRoute", "operation_policies": ["get"]})") ==
        "test.json: route.operation_policies: expected an object {operation: route}, got a list");
  CHECK(build_error(R"({"type": "OperationSelectorRoute", "default_policy": "PoolRoute|A", "default_polcy": 1})") ==
        "test.json: route: unknown key \"default_polcy\" in OperationSelectorRoute (did you mean \"default_policy\"?)");
}

TEST_CASE("OperationSelectorRoute: PrefixPolicyRoute, its older name, builds the same route",
          "[routes][operation_selector_route]") {
  // mcrouter's wiki examples still use the old name; its handle registry maps it to OperationSelectorRoute.
  Harness h(R"({"type": "PrefixPolicyRoute", "operation_policies": {"get": "PoolRoute|A"},
                "default_policy": "PoolRoute|B"})");
  CHECK(h.root->type() == "OperationSelectorRoute");
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1"});
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"b:1"});
}
