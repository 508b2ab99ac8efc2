// AllFastestRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("AllFastestRoute: the first non-error reply", "[routes][all_fastest_route]") {
  Harness h(R"({"type": "AllFastestRoute", "children": "Pool|ABC"})");
  CHECK(h.root->type() == "AllFastestRoute");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  h.d("b:1").release_one(err(Result::timeout));
  CHECK(a->calls == 0);
  h.d("c:1").release_one(Reply(Result::not_found));  // a miss is a good answer
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::not_found);
  h.d("a:1").release_one(hit("late"));
  CHECK(a->calls == 1);
}

TEST_CASE("AllFastestRoute: all errors: the last one", "[routes][all_fastest_route]") {
  Harness h(R"("AllFastestRoute|Pool|ABC")");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  h.root.reset();
  h.d("a:1").release_one(err(Result::timeout));
  h.d("c:1").release_one(err(Result::tko));
  CHECK(a->calls == 0);
  h.d("b:1").release_one(Reply::error(Result::remote_error, "last"));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "last");
}

TEST_CASE("AllFastestRoute: synchronous children", "[routes][all_fastest_route]") {
  Harness h(R"("AllFastestRoute|Pool|ABC")");
  h.d("a:1").reply = err(Result::connect_error);
  h.d("b:1").reply = hit("b");
  h.d("c:1").reply = hit("c");
  CHECK(h.route(Op::get, "k").value == "b");
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
}
