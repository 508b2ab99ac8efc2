// JSONM in route trees: the route factory sees the expanded config, so built-ins and macros in route
// positions become the routes they expand to, and failures inside them point at the route they were in.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("JSONM: built-ins in route positions become routes", "[routes][factory][jsonm]") {
  Harness h(R"j({"type": "if", "condition": "@equals(@int(1), @int(1))", "is_true": "PoolRoute|A",
                "is_false": "PoolRoute|B"})j");
  CHECK(h.root->type() == "PoolRoute");
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1"});

  Harness merged(R"j({"type": "FailoverRoute",
                     "children": {"type": "merge", "params": [["PoolRoute|B"], ["PoolRoute|C", "PoolRoute|D"]]}})j");
  CHECK(merged.root->type() == "FailoverRoute");
  merged.d("b:1").reply = Reply(Result::connect_error);
  merged.d("c:1").reply = Reply(Result::found, "v");
  CHECK(merged.route(Op::get, "k").result == Result::found);
  CHECK(merged.sent_to("b:1") == 1);
  CHECK(merged.sent_to("c:1") == 1);
  CHECK(merged.sent_to("d:1") == 0);

  Harness selected(R"j({"type": "OperationSelectorRoute",
                       "operation_policies": {"get": {"type": "select", "dictionary": {"x": "PoolRoute|C"}, "key": "x"}},
                       "default_policy": "@select(@split(PoolRoute|D PoolRoute|E,\\ ), @int(-1))"})j");
  CHECK(selected.where(Op::get, "k") == std::vector<std::string>{"c:1"});
  CHECK(selected.where(Op::set, "k") == std::vector<std::string>{"e:1"});
}

TEST_CASE("JSONM: a failing built-in names the route position and the call", "[routes][factory][jsonm]") {
  CHECK(build_error(R"j({"type": "FailoverRoute",
                        "children": ["PoolRoute|A", {"type": "merge", "params": [["PoolRoute|B"], "PoolRoute|C"]}]})j") ==
        "test.json: route.children[1]: @merge: params[1] is a string, expected a list as params[0]");
  CHECK(build_error(R"j({"type": "if", "condition": true})j") == "test.json: route: @if: missing \"is_true\"");
  CHECK(build_error(R"j({"type": "@pool_route", "pool": "A"})j") == "test.json: route.type: unknown macro @pool_route");
  CHECK(build_error(R"j("@failover_pair")j") == "test.json: route: unknown macro @failover_pair");
  CHECK(build_error(R"j({"type": "AllSyncRoute", "children": ["PoolRoute|A", "@replica"]})j") ==
        "test.json: route.children[1]: unknown macro @replica");
  // An escaped '@' is a literal: no macro, and no such route either.
  CHECK(build_error(R"j("\\@replica")j") == "test.json: route: unknown route handle or name \"@replica\"");
}

TEST_CASE("JSONM: other unknown types keep the unknown-type error", "[routes][factory][jsonm]") {
  CHECK(build_error(R"j({"type": "PolRoute", "pool": "A"})j") ==
        "test.json: route: unknown route handle type \"PolRoute\"; did you mean \"PoolRoute\"?");
  CHECK(build_error(R"j({"type": "If"})j") == "test.json: route: unknown route handle type \"If\"");
  CHECK(build_error(R"j({"type": "FrobnicateRoute"})j").find("test.json: route: unknown route handle type \"FrobnicateRoute\"") ==
        0);
  CHECK(build_error(R"j("unknown_name")j") == "test.json: route: unknown route handle or name \"unknown_name\"");
}
