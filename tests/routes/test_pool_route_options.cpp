// PoolRoute options built from JSON through the factory, over scripted destinations: rates, "hash": "Latest"
// (and HashRoute's), bucketize. slow_warmup is in test_slow_warm_up_route.cpp.
#include <set>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "route_test_util.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"
#include "routes/key_bucketizer.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// A tree over pool P of `n` servers "s0:1".. (weights as given, "" for none).
struct PoolHarness {
  PoolHarness(int n, const std::string& route_json, const std::string& weights = "") {
    std::string servers;
    for (int i = 0; i < n; ++i) servers += (i ? ", " : "") + std::string("\"s") + std::to_string(i) + ":1\"";
    std::string pool = "{\"servers\": [" + servers + "]" + (weights.empty() ? "" : ", \"weights\": " + weights) + "}";
    cfg = config::parse_config(R"({"pools": {"P": )" + pool + R"(, "B": {"servers": ["backup:1"]}}, "route": )" +
                                   route_json + "}",
                               "test.json");
    RouteFactory f(cfg, dests);
    root = f.build(cfg.routes.at(0).route, cfg.routes.at(0).json_path);
  }
  std::vector<std::string> where(const std::string& key) {
    std::vector<std::string> out;
    root->collect_destinations(*make_req(Op::get, key), out);
    return out;
  }
  Reply route(Op op, const std::string& key) {
    auto a = std::make_shared<Answer>();
    root->route(make_req(op, key), capture(a));
    REQUIRE(a->calls == 1);
    return a->reply;
  }
  config::Config cfg;
  ScriptedProvider dests;
  RouteHandlePtr root;
};

std::string pool_error(int n, const std::string& route_json, const std::string& weights = "") {
  try {
    PoolHarness h(n, route_json, weights);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

// --- rates ---------------------------------------------------------------------------------------------------

TEST_CASE("PoolRoute rates: the pool behind a RateLimitRoute", "[routes][pool_route][rates]") {
  // Buckets start empty (folly's TokenBucket): at 0.001 sets a second, no set passes for a long while.
  PoolHarness h(3, R"({"type": "PoolRoute", "pool": "P", "rates": {"sets_rate": 0.001}})");
  CHECK(h.root->type() == "RateLimitRoute");
  for (int i = 0; i < 10; ++i) CHECK(h.route(Op::set, "k" + std::to_string(i)).result == Result::not_stored);
  for (auto& [name, d] : h.dests.dests) CHECK(d->seen.empty());
  // Gets have no rate: they pass, to the server the key hashes to.
  for (auto& [name, d] : h.dests.dests) d->reply = hit("v");
  CHECK(h.route(Op::get, "k1").value == "v");
  CHECK(h.where("k1").size() == 1);
  std::size_t sent = 0;
  for (auto& [name, d] : h.dests.dests) sent += d->seen.size();
  CHECK(sent == 1);
}

TEST_CASE("PoolRoute rates errors name the key", "[routes][pool_route][rates]") {
  CHECK_THAT(pool_error(1, R"({"type": "PoolRoute", "pool": "P", "rates": 5})"),
             Catch::Contains("route.rates: expected an object"));
  CHECK_THAT(pool_error(1, R"({"type": "PoolRoute", "pool": "P", "rates": {"set_rate": 5}})"),
             Catch::Contains("unknown key \"set_rate\" in rates"));
  CHECK_THAT(pool_error(1, R"({"type": "PoolRoute", "pool": "P", "rates": {"gets_rate": -1}})"),
             Catch::Contains("gets_rate: must be a positive number"));
  CHECK(pool_error(1, R"({"type": "PoolRoute", "pool": "P", "rates": {}})") == "no error");
}

// --- "hash": "Latest" ------------------------------------------------------------------------------------------

TEST_CASE("PoolRoute \"hash\": \"Latest\" is a LatestRoute over the pool's servers", "[routes][pool_route][latest]") {
  PoolHarness latest(5, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "failover_count": 2,
                                                                          "seed": 11}})");
  PoolHarness reference(5, R"({"type": "LatestRoute", "children": "Pool|P", "failover_count": 2, "seed": 11})");
  CHECK(latest.root->type() == "LatestRoute");
  auto chosen = latest.where("any key");
  REQUIRE(chosen.size() == 2);
  CHECK(chosen == reference.where("any key"));
  CHECK(latest.where("another key") == chosen);  // not hashed: every key the same servers
  // Failover from the first pick to the second on errors.
  for (auto& [name, d] : latest.dests.dests) d->reply = err(Result::timeout);
  latest.dests.dests.at(chosen[1])->reply = hit("second");
  CHECK(latest.route(Op::get, "k").value == "second");
  // A plain "Latest" string: mcrouter's default failover_count 5, all five servers.
  PoolHarness plain(5, R"({"type": "PoolRoute", "pool": "P", "hash": "Latest"})");
  CHECK(plain.where("k").size() == 5);
}

TEST_CASE("PoolRoute \"Latest\": the pool's weights weigh the draw; one server is itself", "[routes][pool_route][latest]") {
  for (int seed = 0; seed < 20; ++seed) {
    PoolHarness h(4, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "failover_count": 1,
                                                                       "seed": )" + std::to_string(seed) + "}}",
                  "[0, 0, 1, 0]");
    CHECK(h.where("k") == std::vector<std::string>{"s2:1"});
  }
  PoolHarness one(1, R"({"type": "PoolRoute", "pool": "P", "hash": "Latest"})");
  CHECK(one.root->type() == "DestinationRoute");
}

TEST_CASE("PoolRoute \"Latest\" takes rates, slow_warmup and shadows", "[routes][pool_route][latest]") {
  PoolHarness h(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "failover_count": 1, "seed": 1},
                       "rates": {"deletes_rate": 0.001},
                       "shadows": [{"target": "PoolRoute|B"}],
                       "slow_warmup": {"failoverTarget": "NullRoute"}})");
  CHECK(h.root->type() == "RateLimitRoute");
  auto where = h.where("k");
  REQUIRE(where.size() == 2);
  CHECK(where[1] == "backup:1");  // the shadow
  CHECK(h.route(Op::delete_, "k").result == Result::not_found);  // rate limited
  CHECK(h.dests.dests.at(where[0])->seen.empty());
  h.route(Op::set, "k");
  CHECK(h.dests.dests.at(where[0])->seen == std::vector<std::string>{"set k"});
  CHECK(h.dests.dests.at("backup:1")->seen == std::vector<std::string>{"set k"});
}

TEST_CASE("HashRoute \"hash_func\": \"Latest\"", "[routes][hash_route][latest]") {
  PoolHarness h(5, R"({"type": "HashRoute", "children": "Pool|P", "hash_func": "Latest", "failover_count": 3, "seed": 4})");
  PoolHarness reference(5, R"({"type": "LatestRoute", "children": "Pool|P", "failover_count": 3, "seed": 4})");
  CHECK(h.root->type() == "LatestRoute");
  CHECK(h.where("k") == reference.where("k"));
  CHECK_THAT(pool_error(3, R"({"type": "HashRoute", "children": "Pool|P", "hash_func": "Latest", "failover_cont": 3})"),
             Catch::Contains("did you mean \"failover_count\""));
}

TEST_CASE("PoolRoute \"Latest\" errors", "[routes][pool_route][latest]") {
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "failover_count": 0}})"),
             Catch::Contains("route.hash.failover_count: must be at least 1"));
  // An unknown key is ignored with a warning (mcrouter ignores it), unless it looks like a misspelt one.
  CHECK(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "children": []}})") ==
        "no error");
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "Latest", "failover_limt": {}}})"),
             Catch::Contains("unknown key \"failover_limt\" in a \"Latest\" hash (did you mean \"failover_limit\"?)"));
}

// --- bucketize -------------------------------------------------------------------------------------------------

TEST_CASE("PoolRoute bucketize places the key's bucket, not the key", "[routes][pool_route][bucketize]") {
  const std::vector<double> weights = {1, 0.5, 1, 0.8};
  PoolHarness h(4, R"({"type": "PoolRoute", "pool": "P", "bucketize": true, "total_buckets": 1000,
                       "bucketization_keyspace": "main", "total_buckets_by_prefix": {"user:": 3}})",
                "[1, 0.5, 1, 0.8]");
  CHECK(h.root->type() == "PoolRoute");
  KeyBucketizer buckets(1000, {{"user:", 3}});
  WeightedCh3Hash hash(4, weights);
  std::set<std::string> used, user_servers;
  for (int i = 0; i < 200; ++i) {
    std::string key = "key" + std::to_string(i);
    std::string want = "s" + std::to_string(hash.index(std::to_string(buckets.bucket(key)))) + ":1";
    INFO(key);
    REQUIRE(h.where(key) == std::vector<std::string>{want});
    used.insert(want);
    user_servers.insert(h.where("user:" + std::to_string(i)).at(0));
  }
  CHECK(used.size() == 4);
  CHECK(user_servers.size() <= 3);  // the prefix's keys share 3 buckets
  // The routing prefix is not bucketed and the key is sent as is.
  h.route(Op::set, "/r/c/key7");
  auto where7 = h.where("key7");
  CHECK(h.dests.dests.at(where7[0])->seen.back() == "set key7");
}

TEST_CASE("PoolRoute bucketize with a salt and with WeightedCh3 by name", "[routes][pool_route][bucketize]") {
  PoolHarness h(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "WeightedCh3", "salt": "s"},
                       "bucketize": true, "total_buckets": 50, "bucketization_keyspace": "k"})");
  KeyBucketizer buckets(50, {});
  WeightedCh3Hash hash(3, {});  // no weights: 0.5 each
  for (int i = 0; i < 50; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string want = "s" + std::to_string(hash.index(std::to_string(buckets.bucket(key)) + "s")) + ":1";
    REQUIRE(h.where(key) == std::vector<std::string>{want});
  }
}

TEST_CASE("PoolRoute bucketize errors", "[routes][pool_route][bucketize]") {
  const std::string base = R"({"type": "PoolRoute", "pool": "P", "bucketize": true)";
  CHECK_THAT(pool_error(3, base + R"(, "total_buckets": 10, "bucketization_keyspace": "k"})"),
             Catch::Contains("bucketization is not implemented for hash function Ch3"));
  CHECK_THAT(pool_error(3, base + R"(, "bucketization_keyspace": "k"})", "[1, 1, 1]"),
             Catch::Contains("needs \"total_buckets\""));
  CHECK_THAT(pool_error(3, base + R"(, "total_buckets": 10})", "[1, 1, 1]"),
             Catch::Contains("needs \"bucketization_keyspace\""));
  CHECK_THAT(pool_error(3, base + R"(, "total_buckets": 0, "bucketization_keyspace": "k"})", "[1, 1, 1]"),
             Catch::Contains("route.total_buckets: expected an integer in [1, 8388608], got 0"));
  CHECK_THAT(pool_error(3, base + R"(, "total_buckets": 10, "bucketization_keyspace": "k",
                                      "total_buckets_by_prefix": {"a": 11}})", "[1, 1, 1]"),
             Catch::Contains("bucket count should be in range (0, 10], got 11"));
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "bucketize": "yes"})"),
             Catch::Contains("route.bucketize: expected true or false"));
  // A pool of one server has nothing to hash: mcrouter accepts any hash there.
  CHECK(pool_error(1, base + R"(, "total_buckets": 10, "bucketization_keyspace": "k"})") == "no error");
  // Without "bucketize": true, mcrouter does not read the other keys.
  CHECK(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "bucketize": false, "total_buckets": "many"})") ==
        "no error");
}

// --- shadow_policy ---------------------------------------------------------------------------------------------

TEST_CASE("PoolRoute shadow_policy: only mcrouter's \"default\"", "[routes][pool_route][shadows]") {
  PoolHarness h(3, R"({"type": "PoolRoute", "pool": "P", "shadow_policy": "default",
                       "shadows": [{"target": "PoolRoute|B"}]})");
  auto where = h.where("k");
  REQUIRE(where.size() == 2);
  CHECK(where[1] == "backup:1");
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "shadow_policy": "MemcacheShadowPolicy"})"),
             Catch::Contains("route.shadow_policy: invalid shadow policy \"MemcacheShadowPolicy\""));
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "shadow_policy": 1})"),
             Catch::Contains("route.shadow_policy: expected a string"));
}

// --- "hash": "LoadBalancer" ------------------------------------------------------------------------------------

TEST_CASE("PoolRoute and HashRoute \"LoadBalancer\" are a LoadBalancerRoute over the servers",
          "[routes][pool_route][load_balancer]") {
  PoolHarness pool(4, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "LoadBalancer", "salt": "x",
                                                                     "failover_count": 2}})",
                   "[1, 1, 0.5, 1]");
  PoolHarness hash(4, R"({"type": "HashRoute", "children": "Pool|P", "hash_func": "LoadBalancer", "salt": "x",
                          "failover_count": 2})");
  PoolHarness reference(4, R"({"type": "LoadBalancerRoute", "children": "Pool|P", "salt": "x", "failover_count": 2})");
  CHECK(pool.root->type() == "LoadBalancerRoute");
  CHECK(hash.root->type() == "LoadBalancerRoute");
  std::set<std::string> used;
  for (int i = 0; i < 100; ++i) {
    std::string key = "lb" + std::to_string(i);
    auto want = reference.where(key);
    REQUIRE(pool.where(key) == want);  // the pool's weights do not weigh the load balancer (as mcrouter)
    REQUIRE(hash.where(key) == want);
    used.insert(want.at(0));
  }
  CHECK(used.size() == 4);
  CHECK_THAT(pool_error(3, R"({"type": "PoolRoute", "pool": "P", "hash": {"hash_func": "LoadBalancer", "algoritm": "x"}})"),
             Catch::Contains("unknown key \"algoritm\" in a \"LoadBalancer\" hash (did you mean \"algorithm\"?)"));
  CHECK_THAT(pool_error(3, R"({"type": "HashRoute", "children": "Pool|P", "hash_func": "LoadBalancer",
                               "algorithm": "random"})"),
             Catch::Contains("route.algorithm: expected \"weighted-hashing\" or \"two-random-choices\""));
}
