// Inline pools (mcrouter's PoolFactory::parsePool forms): a pool object where a pool name is expected,
// {"type": "Pool", ...} and "Pool|NAME" as lists of routes. Built through the real loader and factory over
// recording fakes.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

std::vector<std::string> placement(Harness& h, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    auto w = h.where(Op::get, "key" + std::to_string(i));
    REQUIRE(w.size() == 1);
    out.push_back(w.front());
  }
  return out;
}

}  // namespace

TEST_CASE("inline pools: a PoolRoute's pool object places keys as the same named pool does", "[routes][inline_pools]") {
  Harness inline_pool(R"({"type": "PoolRoute", "pool": {"type": "Pool", "name": "X",
                           "servers": ["a:1", "b:1", "c:1"]}})");
  Harness named(R"("PoolRoute|ABC")");
  CHECK(placement(inline_pool, 200) == placement(named, 200));
  REQUIRE(inline_pool.cfg.pools.contains("X"));
  CHECK(inline_pool.cfg.pools.at("X").json_path == "route.pool");
  CHECK(inline_pool.cfg.pools.at("X").servers.size() == 3);
  // The request really goes there.
  auto w = inline_pool.where(Op::get, "key7");
  inline_pool.route(Op::set, "key7");
  CHECK(inline_pool.sent_to(w.front()) == 1);
}

TEST_CASE("inline pools: without \"type\", with server options, as in mcrouter's docs", "[routes][inline_pools]") {
  Harness h(R"({"type": "PoolRoute", "pool": {"name": "Y", "servers": ["[::1]:5000", "y:2"],
                "server_timeout": 250, "keep_routing_prefix": true}})");
  const auto& p = h.cfg.pools.at("Y");
  CHECK(p.servers.at(0).text == "[::1]:5000");
  CHECK(p.servers.at(0).host == "::1");
  CHECK(p.server_timeout_ms == 250u);
  CHECK(p.keep_routing_prefix);
  h.route(Op::get, "/r/c/k");
  CHECK(h.sent_to("[::1]:5000") + h.sent_to("y:2") == 1);
  const std::string who = h.sent_to("y:2") == 1 ? "y:2" : "[::1]:5000";
  CHECK(h.d(who).seen == std::vector<std::string>{"get /r/c/k"});  // keep_routing_prefix applies
}

TEST_CASE("inline pools: {type: Pool} and Pool|NAME are lists of routes, merged into children", "[routes][inline_pools]") {
  Harness h(R"({"type": "FailoverRoute", "children": [
                  {"type": "Pool", "name": "P", "servers": ["p:1", "p:2"]},
                  "PoolRoute|A",
                  "Pool|B"]})");
  h.d("p:1");  // built
  h.d("p:1").reply = err(Result::timeout);
  h.d("p:2").reply = err(Result::timeout);
  h.d("a:1").reply = err(Result::timeout);
  h.d("b:1").reply = hit("from b");
  Reply r = h.route(Op::get, "k");
  CHECK(r.value == "from b");
  CHECK(h.sent_to("p:1") == 1);
  CHECK(h.sent_to("p:2") == 1);
  CHECK(h.sent_to("a:1") == 1);
}

TEST_CASE("inline pools: a children object {type: Pool} is the pool's servers", "[routes][inline_pools]") {
  Harness h(R"({"type": "AllSyncRoute", "children": {"type": "Pool", "name": "Q", "servers": ["q:1", "q:2", "q:3"]}})");
  h.route(Op::set, "k");
  CHECK(h.sent_to("q:1") == 1);
  CHECK(h.sent_to("q:2") == 1);
  CHECK(h.sent_to("q:3") == 1);
}

TEST_CASE("inline pools: a one-server Pool where one route is expected", "[routes][inline_pools]") {
  Harness h(R"({"type": "WarmUpRoute", "cold": "Pool|A", "warm": {"type": "Pool", "name": "W", "servers": ["w:1"]}})");
  h.d("a:1").reply = Reply(Result::not_found);
  h.d("w:1").reply = Reply(Result::not_found);
  h.route(Op::get, "k");
  CHECK(h.sent_to("a:1") == 1);
  CHECK(h.sent_to("w:1") == 1);
  CHECK_THAT(build_error(R"({"type": "WarmUpRoute", "cold": "Pool|ABC", "warm": "PoolRoute|A"})"),
             Catch::Contains("a Pool is a list of 3 routes here, where one route is expected"));
}

TEST_CASE("inline pools: weights longer than servers are accepted, the extra ones ignored", "[routes][inline_pools]") {
  Harness longer(R"({"type": "PoolRoute", "pool": {"name": "Z", "servers": ["a:1", "b:1", "c:1"],
                     "weights": [1, 0.5, 1, 0.25, 0.75]}})");
  Harness exact(R"({"type": "PoolRoute", "pool": {"name": "Z", "servers": ["a:1", "b:1", "c:1"],
                    "weights": [1, 0.5, 1]}})");
  CHECK(placement(longer, 300) == placement(exact, 300));
}

TEST_CASE("inline pools: the same pool twice is one pool; a different one with the same name is an error",
          "[routes][inline_pools]") {
  Harness same(R"({"type": "AllSyncRoute", "children": [
                     {"type": "PoolRoute", "pool": {"name": "A", "servers": ["a:1"]}},
                     {"type": "PoolRoute", "pool": {"type": "Pool", "name": "N", "servers": ["n:1"]}},
                     {"type": "PoolRoute", "pool": {"name": "N", "servers": ["n:1"]}}]})");
  same.route(Op::set, "k");
  CHECK(same.sent_to("n:1") == 2);
  CHECK(same.sent_to("a:1") == 1);
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": {"name": "A", "servers": ["other:1"]}})"),
             Catch::Contains("route.pool: pool \"A\" is already defined differently at pools.A"));
}

TEST_CASE("inline pools: errors name the path", "[routes][inline_pools]") {
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": {"servers": ["a:1"]}})"),
             Catch::Contains("route.pool: an inline pool needs a string \"name\""));
  CHECK_THAT(build_error(R"({"type": "HashRoute", "children": {"type": "Pool", "name": "E2", "servers": []}})"),
             Catch::Contains("route.children.servers: must not be empty"));
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": {"name": "V", "servers": ["fe80::1:11211"]}})"),
             Catch::Contains("IPv6 addresses must be written in brackets"));
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": 7})"),
             Catch::Contains("expected the name of a pool or a pool object"));
}

TEST_CASE("pools: port 0 loads (as in mcrouter) and port_override replaces every port", "[routes][inline_pools]") {
  Harness zero(R"({"type": "PoolRoute", "pool": {"name": "Z0", "servers": ["localhost:0"]}})");
  CHECK(zero.where(Op::get, "k") == std::vector<std::string>{"localhost:0"});
  Harness over(R"({"type": "PoolRoute", "pool": {"name": "O", "servers": ["o1:1", "[::1]:2", "o3"],
                   "port_override": 7000}})");
  const auto& servers = over.cfg.pools.at("O").servers;
  CHECK(servers.at(0).text == "o1:7000");
  CHECK(servers.at(1).text == "[::1]:7000");
  CHECK(servers.at(2).text == "o3:7000");
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": {"name": "O", "servers": ["o1:1"], "port_override": 0}})"),
             Catch::Contains("route.pool.port_override: must be a port number between 1 and 65535, got 0"));
}

TEST_CASE("refused on purpose: CarbonLookasideRoute, AxonLogRoute, the caret protocol", "[routes][inline_pools]") {
  CHECK_THAT(build_error(R"({"type": "CarbonLookasideRoute", "child": "PoolRoute|A"})"),
             Catch::Contains("route: CarbonLookasideRoute is not supported: it caches the replies of Carbon"));
  CHECK_THAT(build_error(R"({"type": "AllSyncRoute", "children": ["PoolRoute|A", {"type": "AxonLogRoute"}]})"),
             Catch::Contains("route.children[1]: AxonLogRoute is not supported: it logs to Axon"));
  CHECK_THAT(build_error(R"({"type": "PoolRoute", "pool": {"name": "CC", "servers": ["c:1"], "protocol": "caret"}})"),
             Catch::Contains("route.pool.protocol: the caret protocol"));
}
