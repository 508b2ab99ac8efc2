// RandomRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("RandomRoute: one random child per request", "[routes][random_route]") {
  Harness h(R"({"type": "RandomRoute", "children": "Pool|ABC", "seed": 42})");
  CHECK(h.root->type() == "RandomRoute");
  h.d("b:1").reply = hit("b");
  int hits = 0;
  for (int i = 0; i < 300; ++i) hits += h.route(Op::get, "k").result == Result::found;
  for (auto* n : {"a:1", "b:1", "c:1"}) {
    INFO(n);
    CHECK(h.sent_to(n) > 60);
  }
  CHECK(hits == static_cast<int>(h.sent_to("b:1")));
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
}

TEST_CASE("RandomRoute: a seed makes the sequence reproducible", "[routes][random_route]") {
  auto sequence = [] {
    Harness h(R"({"type": "RandomRoute", "children": "Pool|ABC", "seed": 9})");
    for (int i = 0; i < 20; ++i) h.route(make_req(Op::get, "k" + std::to_string(i)));
    std::vector<std::string> out;
    for (auto* n : {"a:1", "b:1", "c:1"}) {
      for (auto& s : h.d(n).seen) out.push_back(std::string(n) + " " + s);
    }
    return out;
  };
  CHECK(sequence() == sequence());
}

TEST_CASE("RandomRoute: broadcast and errors", "[routes][random_route]") {
  Harness h(R"("RandomRoute|Pool|ABC")");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).reply = Reply(Result::ok);
  h.d("c:1").reply = err(Result::connect_error);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->reply.result == Result::connect_error);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
  CHECK(build_error(R"({"type": "RandomRoute", "children": "Pool|ABC", "seed": "x"})") ==
        "test.json: route.seed: expected a non-negative integer, got \"x\"");
}
