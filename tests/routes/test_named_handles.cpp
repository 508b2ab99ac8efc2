// Named handles through the Router, as a config load builds them: referenced by name, defined as a list or
// an object, and every one of them built (and so checked) even when no route uses it.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "proxy/router.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

std::string router_error(const std::string& text) {
  try {
    auto cfg = config::parse_config(text, "test.json");
    ScriptedProvider dests;
    Router router(cfg, dests, "/././");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("named handles: referenced by name, shared", "[routes][named_handles]") {
  auto cfg = config::parse_config(R"({"pools": {"A": {"servers": ["a:1"]}, "B": {"servers": ["b:1"]}},
      "named_handles": [{"name": "main", "type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}],
      "routes": [{"aliases": ["/x/y/"], "route": "main"}, {"aliases": ["/x/z/"], "route": "main"}]})",
                                  "test.json");
  ScriptedProvider dests;
  Router router(cfg, dests, "/x/y/");
  std::uint16_t prefix_len = 0;
  CHECK(&router.select("/x/y/k", prefix_len) == &router.select("/x/z/k", prefix_len));
}

TEST_CASE("named handles: an unreferenced one is built and checked too", "[routes][named_handles]") {
  const std::string pools = R"("pools": {"A": {"servers": ["a:1"]}}, "route": "PoolRoute|A")";
  CHECK(router_error("{" + pools + R"(, "named_handles": [{"name": "spare", "type": "NullRoute"},
                                      {"name": "x", "type": "FailovrRoute", "children": ["PoolRoute|A"]}]})") ==
        "test.json: named_handles[1]: unknown route handle type \"FailovrRoute\"; did you mean \"FailoverRoute\"?");
  CHECK(router_error("{" + pools + R"(, "named_handles": {"x": {"type": "PoolRoute", "pool": "B"}}})") ==
        "test.json: named_handles.x.pool: unknown pool \"B\"; did you mean \"A\"?");
  CHECK(router_error("{" + pools + R"(, "named_handles": {"x": "NullRoute", "y": "x"}})") == "no error");
  CHECK(router_error("{" + pools + R"(, "named_handles": {"x": "y", "y": "x"}})") ==
        "test.json: named_handles.y: named handle \"x\" refers to itself");
}
