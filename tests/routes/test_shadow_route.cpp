// ShadowRoute (standalone): a list of its children, each wrapped with the shadows whose index_range holds
// its index; shadow replies are ignored.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("ShadowRoute: one child where one route is expected, shadowed", "[routes][shadow_route]") {
  Harness h(R"({"type": "ShadowRoute", "children": "PoolRoute|A", "shadows": [{"target": "PoolRoute|B"}]})");
  CHECK(h.root->type() == "ShadowRoute");
  h.d("b:1");
  h.d("b:1").reply = err(Result::timeout);  // ignored
  h.d("a:1").reply = hit("from a");
  CHECK(h.route(Op::get, "k").value == "from a");
  CHECK(h.d("b:1").seen == std::vector<std::string>{"get k"});
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1"});
}

TEST_CASE("ShadowRoute: in a children list it is merged; index_range picks the shadowed children",
          "[routes][shadow_route]") {
  Harness h(R"({"type": "AllSyncRoute", "children": [
                 {"type": "ShadowRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"],
                  "shadows": [{"target": "PoolRoute|D", "index_range": [1, 3]}]},
                 "PoolRoute|E"]})");
  h.route(Op::set, "k");
  CHECK(h.sent_to("a:1") == 1);
  CHECK(h.sent_to("b:1") == 1);
  CHECK(h.sent_to("c:1") == 1);
  CHECK(h.sent_to("e:1") == 1);
  CHECK(h.sent_to("d:1") == 2);  // shadows of B and C only
}

TEST_CASE("ShadowRoute: key_fraction_range, no shadows, errors", "[routes][shadow_route]") {
  Harness none(R"({"type": "ShadowRoute", "children": "PoolRoute|A", "shadows": [{"target": "PoolRoute|B",
                   "key_fraction_range": [0, 0]}]})");
  int shadowed = 0;
  for (int i = 0; i < 50; ++i) none.route(Op::get, "k" + std::to_string(i));
  shadowed = static_cast<int>(none.sent_to("b:1"));
  CHECK(shadowed <= 1);  // only a key hashing to exactly 0 could be
  Harness plain(R"({"type": "ShadowRoute", "children": "PoolRoute|A"})");
  CHECK(plain.root->type() == "PoolRoute");
  CHECK_THAT(build_error(R"({"type": "ShadowRoute", "children": ["PoolRoute|A", "PoolRoute|B"], "shadows": []})"),
             Catch::Contains("a ShadowRoute is a list of 2 routes here, where one route is expected"));
  CHECK_THAT(build_error(R"({"type": "ShadowRoute", "children": "PoolRoute|A", "shadow_policy": "x", "shadows": []})"),
             Catch::Contains("only the \"default\" shadow policy is supported"));
  // As mcrouter, indexes past the children match nothing (index 0 is shadowed here); a range it cannot read
  // drops the shadow with a warning.
  Harness past(R"({"type": "ShadowRoute", "children": "PoolRoute|A",
                   "shadows": [{"target": "PoolRoute|B", "index_range": [0, 2]}]})");
  past.route(Op::get, "k");
  CHECK(past.sent_to("b:1") == 1);
  CHECK(past.warnings.empty());
  Harness backwards(R"({"type": "ShadowRoute", "children": "PoolRoute|A",
                        "shadows": [{"target": "PoolRoute|B", "index_range": [2, 0]}]})");
  backwards.route(Op::get, "k");
  CHECK(backwards.sent_to("b:1") == 0);
  CHECK(backwards.warnings == std::vector<std::string>{"test.json: route.shadows[0]: shadow ignored, as mcrouter "
                                                       "ignores it: index_range: [2, 0) is not a range"});
}
