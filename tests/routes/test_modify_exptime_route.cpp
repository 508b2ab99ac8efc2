// ModifyExptimeRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("ModifyExptimeRoute: set", "[routes][modify_exptime_route]") {
  Harness h(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 5})");
  CHECK(h.root->type() == "ModifyExptimeRoute");
  auto& d = h.d("a:1");
  for (Op op : {Op::set, Op::add, Op::replace, Op::append, Op::prepend, Op::cas, Op::touch, Op::gat, Op::gats}) {
    INFO(op_name(op));
    auto req = make_req(op, "k", 100);
    h.route(req);
    CHECK(d.requests.back()->exptime == 5);
    CHECK(d.requests.back()->op == op);
    CHECK(d.requests.back()->key == "k");
    CHECK(req->exptime == 100);  // copied, not changed in place
  }
  // No exptime to rewrite (an mg without T/N flags; meta TTLs: test_meta_routes.cpp).
  for (Op op : {Op::get, Op::gets, Op::delete_, Op::incr, Op::mg, Op::md}) {
    INFO(op_name(op));
    auto req = make_req(op, "k", 100);
    h.route(req);
    CHECK(d.requests.back().get() == req.get());
  }
  d.reply = err(Result::timeout);
  CHECK(h.route(Op::set, "k").result == Result::timeout);  // the target's reply as is
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1"});
}

TEST_CASE("ModifyExptimeRoute: min", "[routes][modify_exptime_route]") {
  Harness h(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 50, "action": "min"})");
  auto& d = h.d("a:1");
  auto sent = [&](std::int64_t exptime) {
    h.route(make_req(Op::set, "k", exptime));
    return d.requests.back()->exptime;
  };
  CHECK(sent(0) == 50);    // never expires -> capped
  CHECK(sent(100) == 50);
  CHECK(sent(50) == 50);
  CHECK(sent(10) == 10);
  CHECK(sent(-1) == -1);   // already expired stays expired
  Harness zero(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 0, "action": "min"})");
  zero.route(make_req(Op::set, "k", 100));
  CHECK(zero.d("a:1").requests.back()->exptime == 100);
}

TEST_CASE("ModifyExptimeRoute: async passes through; errors", "[routes][modify_exptime_route]") {
  Harness h(R"({"type": "ModifyExptimeRoute", "target": "AllSyncRoute|Pool|ABC", "exptime": 5})");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::set, "k", 9));
  h.root.reset();
  for (auto* n : {"a:1", "b:1", "c:1"}) {
    CHECK(h.d(n).requests.back()->exptime == 5);
    h.d(n).release_all(Reply(Result::stored));
  }
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::stored);

  CHECK(build_error(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A"})") ==
        "test.json: route: missing required field \"exptime\"");
  CHECK(build_error(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 5, "action": "max"})") ==
        "test.json: route.action: expected \"set\" or \"min\", got \"max\"");
  CHECK(build_error(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 1.5})") ==
        "test.json: route.exptime: expected an integer, got 1.5");
  CHECK(build_error(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 5000000000})") ==
        "test.json: route.exptime: 5000000000 is out of range [-2147483648, 2147483647]");
}
