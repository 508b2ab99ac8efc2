// BlackholeRoute: requests matching its policies go to blackhole_child (NullRoute by default), the rest to
// default; mcrouter's and-of-fields, or-within-a-field evaluation, skipping fields a request lacks.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("BlackholeRoute: a key policy blackholes matching keys into NullRoute", "[routes][blackhole_route]") {
  Harness h(R"({"type": "BlackholeRoute", "default": "PoolRoute|A",
                "policies": {"key": [{"op": "equals", "value": "bad"}, {"op": "equals", "value": "/r/c/worse"}]}})");
  CHECK(h.root->type() == "BlackholeRoute");
  CHECK(h.route(Op::set, "bad").result == Result::not_stored);  // NullRoute's reply
  CHECK(h.route(Op::get, "/r/c/worse").result == Result::not_found);
  CHECK(h.sent_to("a:1") == 0);
  CHECK(h.where(Op::get, "bad").empty());
  CHECK(h.route(Op::set, "good").result == Result::stored);
  CHECK(h.d("a:1").seen == std::vector<std::string>{"set good"});
  CHECK(h.where(Op::get, "good") == std::vector<std::string>{"a:1"});
}

TEST_CASE("BlackholeRoute: fields are and-ed, fields a request lacks are skipped", "[routes][blackhole_route]") {
  Harness h(R"({"type": "BlackholeRoute", "default": "PoolRoute|A", "blackhole_child": "PoolRoute|B",
                "policies": {"key": [{"op": "not_equals", "value": "keep"}],
                             "exptime": [{"op": "equals", "value": 0}, {"op": "equals", "value": 60}]}})");
  auto set = [&](const std::string& key, std::int64_t exptime) { h.route(make_req(Op::set, key, exptime)); };
  set("x", 0);     // key != keep and exptime 0: blackholed
  set("x", 60);    // exptime 60: blackholed
  set("x", 30);    // exptime matches neither: default
  set("keep", 0);  // key fails: default
  h.route(Op::get, "y");     // a get has no exptime: the key alone decides -> blackholed
  h.route(Op::get, "keep");  // default
  CHECK(h.d("b:1").seen == std::vector<std::string>{"set x", "set x", "get y"});
  CHECK(h.d("a:1").seen == std::vector<std::string>{"set x", "set keep", "get keep"});
}

TEST_CASE("BlackholeRoute: policies on fields a request never has blackhole it; wrong types never match",
          "[routes][blackhole_route]") {
  Harness h(R"({"type": "BlackholeRoute", "default": "PoolRoute|A", "blackhole_child": "PoolRoute|B",
                "policies": {"delta": [{"op": "equals", "value": 5}], "flags": [{"op": "equals", "value": "7"}]}})");
  h.route(Op::get, "k");  // neither delta nor flags: blackholed (as in mcrouter)
  auto incr = make_req(Op::incr, "n");
  incr->delta = 5;
  h.route(incr);  // delta 5: blackholed
  incr = make_req(Op::incr, "n");
  incr->delta = 6;
  h.route(incr);  // default
  auto set = make_req(Op::set, "s");
  set->flags = 7;
  h.route(set);  // flags compared with the string "7": never equal -> default
  CHECK(h.d("b:1").seen == std::vector<std::string>{"get k", "incr n"});
  CHECK(h.d("a:1").seen == std::vector<std::string>{"incr n", "set s"});
}

TEST_CASE("BlackholeRoute: config errors", "[routes][blackhole_route]") {
  CHECK_THAT(build_error(R"({"type": "BlackholeRoute", "policies": {}})"),
             Catch::Contains("missing required field \"default\""));
  CHECK_THAT(build_error(R"({"type": "BlackholeRoute", "default": "NullRoute"})"),
             Catch::Contains("missing required field \"policies\""));
  CHECK_THAT(build_error(R"({"type": "BlackholeRoute", "default": "NullRoute", "policies": {"key": {}}})"),
             Catch::Contains("route.policies.key: the policies of a field must be a list"));
  CHECK_THAT(build_error(R"({"type": "BlackholeRoute", "default": "NullRoute",
                             "policies": {"key": [{"op": "less", "value": 1}]}})"),
             Catch::Contains("expected \"equals\" or \"not_equals\", got \"less\""));
  CHECK_THAT(build_error(R"({"type": "BlackholeRoute", "default": "NullRoute",
                             "policies": {"key": [{"op": "equals"}]}})"),
             Catch::Contains("missing required field \"value\""));
}
