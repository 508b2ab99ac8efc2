// PoolRoute / HashRoute / NullRoute / ErrorRoute built from JSON through the factory, over recording fakes.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "fake_destination.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/hash/crc32.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

config::Config three_servers(const std::string& route) {
  return config::parse_config(
      R"({"pools": {"A": {"servers": ["h0:1", "h1:1", "h2:1"]}}, "route": )" + route + "}", "test.json");
}

Reply route_one(RouteHandle& root, const RequestPtr& req) {
  Reply out(Result::local_error, "not called");
  int calls = 0;
  root.route(req, [&](Reply&& r) {
    out = std::move(r);
    ++calls;
  });
  REQUIRE(calls == 1);
  return out;
}

}  // namespace

TEST_CASE("PoolRoute places keys with Ch3 over the pool's servers", "[routes][pool_route]") {
  auto cfg = three_servers(R"("PoolRoute|A")");
  FakeProvider fakes;
  RouteFactory f(cfg, fakes);
  auto root = f.build(cfg.routes.at(0).route, "route");
  CHECK(root->type() == "PoolRoute");
  for (int i = 0; i < 300; ++i) {
    std::string key = "key" + std::to_string(i);
    auto req = make_request(Op::get, key);
    route_one(*root, req);
    std::string expected = "h" + std::to_string(furc_hash(key, 3)) + ":1";
    INFO(key);
    REQUIRE(fakes.at(expected).seen.back() == "get " + key);
  }
  std::size_t total = 0;
  for (auto& [_, d] : fakes.dests) total += d->seen.size();
  CHECK(total == 300);
}

TEST_CASE("the hash stop and the salt change what is hashed, not what is sent", "[routes][pool_route]") {
  auto cfg = three_servers(R"({"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Crc32", "salt": "s1"}})");
  FakeProvider fakes;
  auto root = RouteFactory(cfg, fakes).build(cfg.routes.at(0).route, "route");
  auto req = make_request(Op::delete_, "user|#|42");
  route_one(*root, req);
  std::string expected = "h" + std::to_string((crc32("users1") & 0x7fffffff) % 3) + ":1";
  CHECK(fakes.at(expected).seen.back() == "delete user|#|42");
}

TEST_CASE("broadcast reaches every server and merges the worst reply", "[routes][pool_route]") {
  auto cfg = three_servers(R"("PoolRoute|A")");
  FakeProvider fakes;
  auto root = RouteFactory(cfg, fakes).build(cfg.routes.at(0).route, "route");
  for (auto& [_, d] : fakes.dests) d->reply = Reply(Result::ok);
  fakes.at("h1:1").reply = Reply::error(Result::timeout, "Reply timeout");
  Reply merged(Result::local_error);
  int calls = 0;
  root->broadcast(make_request(Op::flush_all, ""), [&](Reply&& r) {
    merged = std::move(r);
    ++calls;
  });
  CHECK(calls == 1);
  CHECK(merged.result == Result::timeout);
  for (auto& [_, d] : fakes.dests) CHECK(d->seen.size() == 1);
}

TEST_CASE("HashRoute over explicit children and Pool| lists", "[routes][hash_route]") {
  auto cfg = three_servers(R"({"type": "HashRoute", "children": "Pool|A"})");
  FakeProvider fakes;
  auto root = RouteFactory(cfg, fakes).build(cfg.routes.at(0).route, "route");
  CHECK(root->type() == "HashRoute");
  auto req = make_request(Op::get, "sample");
  route_one(*root, req);
  CHECK(fakes.at("h" + std::to_string(furc_hash("sample", 3)) + ":1").seen.size() == 1);
  std::vector<std::string> where;
  root->collect_destinations(*req, where);
  CHECK(where == std::vector<std::string>{"h" + std::to_string(furc_hash("sample", 3)) + ":1"});
}

TEST_CASE("NullRoute and ErrorRoute answer locally", "[routes][null_route]") {
  auto cfg = three_servers(R"("NullRoute")");
  FakeProvider fakes;
  auto null_route = RouteFactory(cfg, fakes).build("NullRoute", "route");
  CHECK(route_one(*null_route, make_request(Op::get, "k")).result == Result::not_found);
  CHECK(route_one(*null_route, make_request(Op::set, "k")).result == Result::not_stored);
  CHECK(route_one(*null_route, make_request(Op::delete_, "k")).result == Result::not_found);
  auto err = RouteFactory(cfg, fakes).build("ErrorRoute|go away", "route");
  Reply r = route_one(*err, make_request(Op::get, "k"));
  CHECK(r.result == Result::remote_error);
  CHECK(r.value == "go away");
}

TEST_CASE("factory errors name the path and suggest a fix", "[routes][factory]") {
  auto cfg = three_servers(R"("PoolRoute|A")");
  FakeProvider fakes;
  RouteFactory f(cfg, fakes);
  auto message = [&](const nlohmann::json& j) {
    try {
      f.build(j, "route");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message(nlohmann::json::parse(R"({"type": "HashRout", "children": "Pool|A"})")) ==
        "test.json: route: unknown route handle type \"HashRout\"; did you mean \"HashRoute\"?");
  CHECK(message("PoolRoute|B") == "test.json: route.pool: unknown pool \"B\"; did you mean \"A\"?");
  CHECK(message(nlohmann::json::parse(R"({"type": "PoolRoute"})")) ==
        "test.json: route: missing required field \"pool\"");
  CHECK(message(nlohmann::json::parse(R"({"type": "PoolRoute", "pool": "A", "hash": "Ch4"})")).find(
            "test.json: route.hash: unknown hash function") == 0);
  CHECK(message(42) == "test.json: route: expected a route (object or string), got number");
}

TEST_CASE("PoolRoute: asynclog is ignored; rates limit the pool but do not move keys", "[routes][pool_route]") {
  auto build = [](const std::string& route) {
    auto cfg = three_servers(route);
    FakeProvider fakes;
    RouteFactory f(cfg, fakes);
    auto root = f.build(cfg.routes.at(0).route, "route");
    std::vector<std::string> where;
    for (int i = 0; i < 50; ++i) root->collect_destinations(*make_request(Op::get, "key" + std::to_string(i)), where);
    return where;
  };
  auto plain = build(R"({"type": "PoolRoute", "pool": "A"})");
  // Placement is exactly that of the plain PoolRoute (rates are enforced: test_pool_route_options.cpp).
  CHECK(build(R"({"type": "PoolRoute", "pool": "A", "asynclog": false})") == plain);
  CHECK(build(R"({"type": "PoolRoute", "pool": "A", "asynclog": true, "name": "A_async"})") == plain);
  CHECK(build(R"({"type": "PoolRoute", "pool": "A",
                  "rates": {"gets_rate": 100, "gets_burst": 200, "sets_rate": 50, "deletes_rate": 10}})") == plain);
  CHECK(build(R"({"type": "PoolRoute", "pool": "A", "asynclog": false, "rates": {}, "hash": "Ch3"})") == plain);
}

TEST_CASE("PoolRoute: ignored keys are type-checked, unsupported ones refused", "[routes][pool_route]") {
  auto message = [](const std::string& route) {
    try {
      auto cfg = three_servers(route);
      FakeProvider fakes;
      RouteFactory(cfg, fakes).build(cfg.routes.at(0).route, "route");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "asynclog": "yes"})") ==
        "test.json: route.asynclog: expected true or false, got \"yes\"");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "rates": 100})") ==
        "test.json: route.rates: expected an object, got 100");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "shard_splits": {}})") == "no error");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "shard_splits": []})") ==
        "test.json: route.shard_splits: expected an object mapping shard ids to split counts, got a list");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "shadows": []})") == "no error");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "shadows": [{"target": "PoolRout|B"}]})") == "no error");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "asynclgo": true})") ==
        "test.json: route: unknown key \"asynclgo\" in PoolRoute (did you mean \"asynclog\"?)");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "bogus_option": 1})") == "no error");
  // mcrouter's McRouteHandleProviderTest kBucketizedPoolRoute, over a pool with servers.
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "pool_id": "mcrouter.test.thrifttest.oregon.shadow_proxy",
                    "hash": "WeightedCh3", "asynclog_name": "test.asynclog", "axonlog": false, "bucketize": true,
                    "total_buckets": 1000, "bucketization_keyspace": "tst"})") == "no error");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "axonlog": true})") ==
        "test.json: route.axonlog: AxonLogRoute is not supported: it logs to Axon, a Facebook-internal service");
  CHECK(message(R"({"type": "PoolRoute", "pool": "A", "pool_id": 7})") ==
        "test.json: route.pool_id: expected a string, got number");
}

TEST_CASE("PoolRoute: what mcrouter ignores is ignored with a warning", "[routes][pool_route]") {
  auto warnings = [](const std::string& route) {
    auto cfg = three_servers(route);
    FakeProvider fakes;
    RouteFactory f(cfg, fakes);
    f.build(cfg.routes.at(0).route, "route");
    return f.warnings();
  };
  using W = std::vector<std::string>;
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A", "bogus_option": 1})") ==
        W{"test.json: route: unknown key \"bogus_option\" in PoolRoute ignored (known keys: pool, hash, asynclog, "
          "asynclog_name, pool_id, axonlog, rates, shadows, shadow_policy, slow_warmup, bucketize, total_buckets, "
          "bucketization_keyspace, total_buckets_by_prefix, bucketize_until, shard_splits)"});
  // Shadows mcrouter cannot use are dropped (makeShadowRoutes logs them and goes on).
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A", "shadows": {"target": "PoolRoute|A"}})") ==
        W{"test.json: route.shadows: shadow ignored, as mcrouter ignores it: expected a list of shadows, got an object"});
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A", "shadows": [{"index_range": [0, 1]}, 7]})") ==
        W{"test.json: route.shadows[0]: shadow ignored, as mcrouter ignores it: no \"target\"",
          "test.json: route.shadows[1]: shadow ignored, as mcrouter ignores it: expected an object, got 7"});
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A",
                     "shadows": [{"target": "PoolRoute|A", "key_fraction_range": [0.5, 0.1]}]})") ==
        W{"test.json: route.shadows[0]: shadow ignored, as mcrouter ignores it: key_fraction_range: need 0 <= low <= "
          "high <= 1, got [0.5,0.1]"});
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A", "shadows": [{"target": "PoolRout|B"}]})") ==
        W{"test.json: route.shadows[0]: shadow ignored, as mcrouter ignores it: its target cannot be built: "
          "route.shadows[0].target: unknown route handle type \"PoolRout\"; did you mean \"PoolRoute\"?"});
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A",
                     "shadows": [{"target": "PoolRoute|A", "index_range_rv": 3}]})") ==
        W{"test.json: route.shadows[0]: shadow ignored, as mcrouter ignores it: index_range_rv: expected the name "
          "of a runtime variable, got 3"});
  // Runtime-variable names are accepted; with no runtime variables the static ranges apply.
  CHECK(warnings(R"({"type": "PoolRoute", "pool": "A",
                     "shadows": [{"target": "PoolRoute|A", "index_range": [0, 9], "index_range_rv": "ir",
                                  "key_fraction_range": [0, 1], "key_fraction_range_rv": "kfr"}]})")
            .empty());
}
