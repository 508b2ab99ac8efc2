// LoadBalancerRoute: with no server load reported (memcached), weighted-hashing is WeightedCh3 with equal
// weights, failover removes the failed child and hashes again with salt + tries left.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include <set>

#include "routes/hash/weighted_ch3_hash.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kLb = R"({"type": "LoadBalancerRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})";
const std::vector<std::string> kNames = {"a:1", "b:1", "c:1"};
}  // namespace

TEST_CASE("LoadBalancerRoute: weighted-hashing places keys by WeightedCh3 with weights 1", "[routes][load_balancer_route]") {
  Harness h(kLb);
  CHECK(h.root->type() == "LoadBalancerRoute");
  WeightedCh3Hash hash(3, {1.0, 1.0, 1.0});
  std::set<std::string> used;
  for (int i = 0; i < 60; ++i) {
    const std::string key = "key" + std::to_string(i);
    const std::string want = kNames[hash.index(key)];
    CHECK(h.where(Op::get, key) == std::vector<std::string>{want});
    h.route(Op::get, key);
    CHECK(h.d(want).seen.back() == "get " + key);
    used.insert(want);
  }
  CHECK(used.size() == 3);
  // The salt is appended to the routing key.
  Harness salted(R"({"type": "LoadBalancerRoute", "salt": "s1", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  CHECK(salted.where(Op::get, "/r/c/k7") == std::vector<std::string>{kNames[hash.index("k7s1")]});
}

TEST_CASE("LoadBalancerRoute: failover_count retries other children on errors only", "[routes][load_balancer_route]") {
  Harness h(R"({"type": "LoadBalancerRoute", "failover_count": 3, "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  for (const auto& n : kNames) h.d(n);
  const std::string key = "k1";
  WeightedCh3Hash h3(3, {1.0, 1.0, 1.0});
  const std::size_t first = h3.index(key);
  // The others after mcrouter's swap-with-last removal, hashed with "2" appended.
  std::vector<std::size_t> rest = {0, 1, 2};
  std::swap(rest[first], rest.back());
  rest.pop_back();
  WeightedCh3Hash h2(2, {1.0, 1.0});
  const std::size_t second = rest[h2.index(key + "2")];
  h.d(kNames[first]).reply = err(Result::timeout);
  h.d(kNames[second]).reply = hit("second");
  Reply r = h.route(Op::get, key);
  CHECK(r.value == "second");
  CHECK(h.sent_to(kNames[first]) == 1);
  CHECK(h.sent_to(kNames[second]) == 1);
  // A miss is not an error: no failover.
  h.d(kNames[first]).reply = Reply(Result::not_found);
  CHECK(h.route(Op::get, key).result == Result::not_found);
  CHECK(h.sent_to(kNames[second]) == 1);
  // All fail: the last error, after failover_count tries.
  for (const auto& n : kNames) h.d(n).reply = err(Result::connect_error);
  CHECK(h.route(Op::get, key).result == Result::connect_error);
  std::size_t total = 0;
  for (const auto& n : kNames) total += h.sent_to(n);
  CHECK(total == 2 + 1 + 3);
}

TEST_CASE("LoadBalancerRoute: no failover by default; two-random-choices spreads requests", "[routes][load_balancer_route]") {
  Harness h(kLb);
  for (const auto& n : kNames) h.d(n).reply = err(Result::timeout);
  CHECK(h.route(Op::get, "k").result == Result::timeout);
  std::size_t total = 0;
  for (const auto& n : kNames) total += h.sent_to(n);
  CHECK(total == 1);
  Harness r(R"({"type": "LoadBalancerRoute", "algorithm": "two-random-choices", "seed": 7,
                "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  for (int i = 0; i < 90; ++i) r.route(Op::get, "same");
  for (const auto& n : kNames) CHECK(r.sent_to(n) > 10);
  CHECK(r.where(Op::get, "same").size() == 3);
}

TEST_CASE("LoadBalancerRoute: 0 or 1 children, config errors", "[routes][load_balancer_route]") {
  CHECK(Harness(R"({"type": "LoadBalancerRoute", "children": []})").root->type() == "NullRoute");
  CHECK(Harness(R"({"type": "LoadBalancerRoute", "children": ["PoolRoute|A"]})").root->type() == "PoolRoute");
  CHECK_THAT(build_error(R"({"type": "LoadBalancerRoute", "children": ["NullRoute", "NullRoute"], "algorithm": "x"})"),
             Catch::Contains("expected \"weighted-hashing\" or \"two-random-choices\", got \"x\""));
  CHECK_THAT(build_error(R"({"type": "LoadBalancerRoute", "children": ["NullRoute", "NullRoute"],
                             "default_server_load_percent": 101})"),
             Catch::Contains("101 is out of range [0, 100]"));
  CHECK_THAT(build_error(R"({"type": "LoadBalancerRoute"})"), Catch::Contains("missing required field \"children\""));
}
