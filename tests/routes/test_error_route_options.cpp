// ErrorRoute's mcrouter options: result (what failover sees) and enable_logging.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("ErrorRoute: result sets the reply's result; enable_logging is accepted", "[routes][null_route]") {
  Harness h(R"({"type": "ErrorRoute", "response": "nope", "result": "mc_res_timeout", "enable_logging": false})");
  Reply r = h.route(Op::get, "k");
  CHECK(r.result == Result::timeout);
  CHECK(r.value == "nope");
  CHECK(Harness(R"({"type": "ErrorRoute", "result": "busy"})").route(Op::get, "k").result == Result::busy);
  CHECK(Harness(R"({"type": "ErrorRoute"})").route(Op::get, "k").result == Result::remote_error);
  // A FailoverRoute whose failover_errors name only timeout moves on from it.
  Harness fo(R"({"type": "FailoverRoute", "failover_errors": ["timeout"],
                 "children": [{"type": "ErrorRoute", "result": "mc_res_timeout"}, "PoolRoute|A"]})");
  fo.route(Op::get, "k");
  CHECK(fo.sent_to("a:1") == 1);
  CHECK_THAT(build_error(R"({"type": "ErrorRoute", "result": "mc_res_found"})"),
             Catch::Contains("route.result: \"mc_res_found\" is not an error result"));
  CHECK_THAT(build_error(R"({"type": "ErrorRoute", "enable_logging": "yes"})"),
             Catch::Contains("route.enable_logging: expected true or false"));
}
