// AllAsyncRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("AllAsyncRoute: answers the default reply at once", "[routes][all_async_route]") {
  Harness h(R"({"type": "AllAsyncRoute", "children": "Pool|ABC"})");
  CHECK(h.root->type() == "AllAsyncRoute");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  CHECK(h.route(Op::get, "k").result == Result::not_found);
  CHECK(h.route(Op::set, "k").result == Result::not_stored);
  CHECK(h.route(Op::delete_, "k").result == Result::not_found);
  CHECK(h.route(Op::incr, "k").result == Result::not_found);
  for (auto* n : {"a:1", "b:1", "c:1"}) {
    CHECK(h.d(n).seen == std::vector<std::string>{"get k", "set k", "delete k", "incr k"});
  }
  // Late replies go nowhere, even after the tree is gone.
  h.root.reset();
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).release_all(err(Result::timeout));
}

TEST_CASE("AllAsyncRoute: errors do not reach the client; broadcast", "[routes][all_async_route]") {
  Harness h(R"("AllAsyncRoute|Pool|ABC")");
  h.d("a:1").reply = err(Result::timeout);
  CHECK(h.route(Op::set, "k").result == Result::not_stored);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::ok);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 2);
}
