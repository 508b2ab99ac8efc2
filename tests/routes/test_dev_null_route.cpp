// DevNullRoute: NullRoute's replies, nothing sent.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("DevNullRoute answers like NullRoute and sends nothing", "[routes][dev_null_route]") {
  for (const char* json : {R"("DevNullRoute")", R"({"type": "DevNullRoute"})"}) {
    Harness h(json);
    CHECK(h.root->type() == "DevNullRoute");
    CHECK(h.route(Op::get, "k").result == Result::not_found);
    CHECK(h.route(Op::set, "k").result == Result::not_stored);
    CHECK(h.route(Op::delete_, "k").result == Result::not_found);
    CHECK(h.route(Op::incr, "k").result == Result::not_found);
    CHECK(h.route(Op::touch, "k").result == Result::not_found);
    CHECK(h.where(Op::get, "k").empty());
    CHECK(h.dests.dests.empty());
  }
  CHECK(Harness(R"({"type": "DevNullRoute", "target": "PoolRoute|A"})").warnings ==
        std::vector<std::string>{"test.json: route: unknown key \"target\" in DevNullRoute ignored (DevNullRoute takes "
                                 "no options)"});
}
