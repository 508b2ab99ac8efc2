// PrefixSelectorRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("PrefixSelectorRoute: the longest key prefix wins", "[routes][prefix_selector_route]") {
  Harness h(R"({"type": "PrefixSelectorRoute", "policies": {"a": "PoolRoute|A", "ab": "PoolRoute|B"},
                "wildcard": "PoolRoute|C"})");
  CHECK(h.root->type() == "PrefixSelectorRoute");
  CHECK(h.where(Op::get, "abcd") == std::vector<std::string>{"b:1"});
  CHECK(h.where(Op::get, "acd") == std::vector<std::string>{"a:1"});
  CHECK(h.where(Op::get, "zzz") == std::vector<std::string>{"c:1"});
  CHECK(h.where(Op::get, "") == std::vector<std::string>{"c:1"});
  // The routing prefix is not part of the key matched; the hash stop ends it.
  CHECK(h.where(Op::get, "/r/c/abc") == std::vector<std::string>{"b:1"});
  CHECK(h.where(Op::get, "a|#|b") == std::vector<std::string>{"a:1"});
  h.route(Op::set, "ab1");
  CHECK(h.d("b:1").seen == std::vector<std::string>{"set ab1"});  // key prefixes are not stripped
}

TEST_CASE("PrefixSelectorRoute: no match and no wildcard", "[routes][prefix_selector_route]") {
  Harness h(R"({"type": "PrefixSelectorRoute", "policies": {"user:": "PoolRoute|A", "": "PoolRoute|B"}})");
  CHECK(h.where(Op::get, "user:1") == std::vector<std::string>{"a:1"});
  CHECK(h.where(Op::get, "other") == std::vector<std::string>{"b:1"});  // "" matches everything

  Harness g(R"({"type": "PrefixSelectorRoute", "policies": {"user:": "PoolRoute|A"}})");
  Reply r = g.route(Op::get, "session:1");
  CHECK(r.result == Result::local_error);
  CHECK(r.value == "no route for key");
  CHECK(g.where(Op::get, "session:1").empty());
}

TEST_CASE("PrefixSelectorRoute: broadcast to every distinct route", "[routes][prefix_selector_route]") {
  Harness h(R"({"type": "PrefixSelectorRoute", "policies": {"a": "PoolRoute|A", "b": "PoolRoute|B"},
                "wildcard": "PoolRoute|C"})");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).reply = Reply(Result::ok);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->reply.result == Result::ok);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
}

TEST_CASE("PrefixSelectorRoute: config errors", "[routes][prefix_selector_route]") {
  CHECK(build_error(R"({"type": "PrefixSelectorRoute"})") ==
        "test.json: route: PrefixSelectorRoute needs \"policies\" or \"wildcard\"");
  CHECK(build_error(R"({"type": "PrefixSelectorRoute", "policies": {"a.b": "PoolRout|A"}})") ==
        "test.json: route.policies[\"a.b\"]: unknown route handle type \"PoolRout\"; did you mean \"PoolRoute\"?");
  CHECK(build_error(R"({"type": "PrefixSelectorRoute", "policies": [], "wildcard": "PoolRoute|A"})") ==
        "test.json: route.policies: expected an object {\"key prefix\": route}, got a list");
}
