// ModifyKeyRoute: key rewrites as mcrouter's, including the examples of its header and unit tests.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

std::string sent_key(const std::string& route_json, const std::string& key) {
  Harness h(route_json);
  h.route(Op::get, key);
  auto& seen = h.d("a:1").requests;
  REQUIRE(seen.size() == 1);
  return seen.front()->key;
}

}  // namespace

TEST_CASE("ModifyKeyRoute: set_routing_prefix + ensure_key_prefix (mcrouter's example)", "[routes][modify_key_route]") {
  const std::string j = R"({"type": "ModifyKeyRoute", "set_routing_prefix": "/a/b/", "ensure_key_prefix": "foo",
                            "target": "PoolRoute|A"})";
  CHECK(sent_key(j, "/a/b/a") == "/a/b/fooa");
  CHECK(sent_key(j, "foo") == "/a/b/foo");
  CHECK(sent_key(j, "/b/c/o") == "/a/b/fooo");
  CHECK(sent_key(j, "/b/c/foox") == "/a/b/foox");  // prefix there, routing prefix changes
  CHECK(sent_key(j, "/a/b/foox") == "/a/b/foox");  // unchanged
}

TEST_CASE("ModifyKeyRoute: the routing prefix is set for the target, which strips it upstream", "[routes][modify_key_route]") {
  Harness h(R"({"type": "ModifyKeyRoute", "set_routing_prefix": "/x/y/", "target": "PoolRoute|A"})");
  h.route(Op::set, "/r/c/k");
  REQUIRE(h.d("a:1").requests.size() == 1);
  CHECK(h.d("a:1").requests[0]->key == "/x/y/k");
  CHECK(h.d("a:1").requests[0]->prefix_len == 5);
  CHECK(h.d("a:1").seen == std::vector<std::string>{"set k"});
}

TEST_CASE("ModifyKeyRoute: empty set_routing_prefix removes the routing prefix", "[routes][modify_key_route]") {
  const std::string j = R"({"type": "ModifyKeyRoute", "set_routing_prefix": "", "target": "PoolRoute|A"})";
  Harness h(j);
  h.route(Op::get, "/r/c/k");
  CHECK(h.d("a:1").requests.at(0)->key == "k");
  CHECK(h.d("a:1").requests.at(0)->prefix_len == 0);
}

TEST_CASE("ModifyKeyRoute: replace_key_prefix and modify_inplace", "[routes][modify_key_route]") {
  const std::string replace = R"({"type": "ModifyKeyRoute", "ensure_key_prefix": "new:", "replace_key_prefix": "old:",
                                  "target": "PoolRoute|A"})";
  CHECK(sent_key(replace, "old:k") == "new:k");
  CHECK(sent_key(replace, "/r/c/old:k") == "/r/c/new:k");
  CHECK(sent_key(replace, "other") == "new:other");
  CHECK(sent_key(replace, "new:k") == "new:k");
  const std::string inplace = R"({"type": "ModifyKeyRoute", "ensure_key_prefix": "ab", "modify_inplace": true,
                                  "target": "PoolRoute|A"})";
  CHECK(sent_key(inplace, "xyz") == "abz");
  CHECK(sent_key(inplace, "x") == "abx");  // shorter than the prefix: prepended
  CHECK(sent_key(inplace, "abc") == "abc");
}

TEST_CASE("ModifyKeyRoute: a key made too long is an error reply, not sent", "[routes][modify_key_route]") {
  Harness h(R"({"type": "ModifyKeyRoute", "ensure_key_prefix": "0123456789", "target": "PoolRoute|A"})");
  Reply r = h.route(Op::get, std::string(245, 'k'));
  CHECK(r.result == Result::local_error);
  CHECK(r.value == "ModifyKeyRoute: invalid key: key too long");
  CHECK(h.sent_to("a:1") == 0);
  CHECK(h.route(Op::get, std::string(240, 'k')).result != Result::local_error);
}

TEST_CASE("ModifyKeyRoute: where keys go follows the new key", "[routes][modify_key_route]") {
  Harness h(R"({"type": "ModifyKeyRoute", "ensure_key_prefix": "p:", "target": "PoolRoute|ABC"})");
  Harness plain(R"("PoolRoute|ABC")");
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string k = "key" + std::to_string(i);
    CHECK(h.where(Op::get, k) == plain.where(Op::get, "p:" + k));
    differ += h.where(Op::get, k) != plain.where(Op::get, k);
  }
  CHECK(differ > 0);  // the prefix really changes placement
}

TEST_CASE("ModifyKeyRoute: config errors", "[routes][modify_key_route]") {
  CHECK_THAT(build_error(R"({"type": "ModifyKeyRoute", "ensure_key_prefix": "a"})"),
             Catch::Contains("missing required field \"target\""));
  CHECK_THAT(build_error(R"({"type": "ModifyKeyRoute", "target": "NullRoute", "ensure_key_prefix": "a b"})"),
             Catch::Contains("invalid key prefix \"a b\": key contains space or control character"));
  CHECK_THAT(build_error(R"({"type": "ModifyKeyRoute", "target": "NullRoute", "replace_key_prefix": "a",
                             "modify_inplace": true})"),
             Catch::Contains("replace_key_prefix and modify_inplace cannot be used together"));
  CHECK_THAT(build_error(R"({"type": "ModifyKeyRoute", "target": "NullRoute", "set_routing_prefix": "nope"})"),
             Catch::Contains("route.set_routing_prefix: invalid routing prefix \"nope\""));
}
