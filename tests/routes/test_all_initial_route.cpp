// AllInitialRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("AllInitialRoute: the first child's reply, whatever the others say", "[routes][all_initial_route]") {
  Harness h(R"({"type": "AllInitialRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  CHECK(h.root->type() == "AllInitialRoute");
  h.d("a:1").reply = Reply(Result::not_stored);
  h.d("b:1").reply = err(Result::timeout);
  CHECK(h.route(Op::set, "k").result == Result::not_stored);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
  h.d("a:1").reply = err(Result::tko);
  h.d("b:1").reply = Reply(Result::stored);
  CHECK(h.route(Op::set, "k").result == Result::tko);
}

TEST_CASE("AllInitialRoute: waits for the first child only", "[routes][all_initial_route]") {
  Harness h(R"("AllInitialRoute|Pool|ABC")");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  h.d("c:1").release_one(hit("c"));
  h.d("b:1").release_one(hit("b"));
  CHECK(a->calls == 0);
  h.root.reset();
  h.d("a:1").release_one(hit("a"));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "a");

  // The others may also finish last.
  Harness g(R"("AllInitialRoute|Pool|ABC")");
  for (auto* n : {"b:1", "c:1"}) g.d(n).hold = true;
  g.d("a:1").reply = hit("a");
  CHECK(g.route(Op::get, "k").value == "a");
  g.root.reset();
  g.d("b:1").release_all(err(Result::timeout));
  g.d("c:1").release_all(err(Result::timeout));
}
