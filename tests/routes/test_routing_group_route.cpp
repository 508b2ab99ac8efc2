// RoutingGroupRoute: mcrouter's routing groups (get_like, update_like, delete_like, arithmetic_like).
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("RoutingGroupRoute sends each routing group to its route, the rest to default_policy",
          "[routes][routing_group_route]") {
  Harness h(R"({"type": "RoutingGroupRoute", "default_policy": "PoolRoute|E",
                "routing_group_policies": {"get_like": "PoolRoute|A", "update_like": "PoolRoute|B",
                                           "delete_like": "PoolRoute|C", "arithmetic_like": "PoolRoute|D"}})");
  CHECK(h.root->type() == "RoutingGroupRoute");
  for (Op op : {Op::get, Op::gets, Op::gat, Op::mg, Op::lease_get}) h.route(op, "k");
  for (Op op : {Op::set, Op::add, Op::cas, Op::ms, Op::lease_set}) h.route(op, "k");
  for (Op op : {Op::delete_, Op::md}) h.route(op, "k");
  for (Op op : {Op::incr, Op::decr, Op::ma}) h.route(op, "k");
  h.route(Op::touch, "k");
  CHECK(h.sent_to("a:1") == 5);
  CHECK(h.sent_to("b:1") == 5);
  CHECK(h.sent_to("c:1") == 2);
  CHECK(h.sent_to("d:1") == 3);
  CHECK(h.d("e:1").seen == std::vector<std::string>{"touch k"});
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"b:1"});
}

TEST_CASE("RoutingGroupRoute: no default_policy; only a default_policy", "[routes][routing_group_route]") {
  Harness h(R"({"type": "RoutingGroupRoute", "routing_group_policies": {"get_like": "PoolRoute|A"}})");
  h.route(Op::get, "k");
  CHECK(h.sent_to("a:1") == 1);
  Reply r = h.route(Op::set, "k");
  CHECK(r.result == Result::local_error);
  CHECK(r.value == "RoutingGroupRoute: no route for this request");
  CHECK(h.where(Op::set, "k").empty());
  Harness only(R"({"type": "RoutingGroupRoute", "default_policy": "PoolRoute|B"})");
  CHECK(only.root->type() == "PoolRoute");
}

TEST_CASE("RoutingGroupRoute: config errors", "[routes][routing_group_route]") {
  CHECK_THAT(build_error(R"({"type": "RoutingGroupRoute"})"),
             Catch::Contains("RoutingGroupRoute needs \"default_policy\" or \"routing_group_policies\""));
  CHECK_THAT(build_error(R"({"type": "RoutingGroupRoute", "routing_group_policies": {"gets": "NullRoute"}})"),
             Catch::Contains("route.routing_group_policies: \"gets\" is not a routing group"));
}
