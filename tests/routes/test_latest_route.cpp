// LatestRoute built from JSON through the factory, over scripted destinations.
#include <set>

#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/latest_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kFive = R"(["PoolRoute|A", "PoolRoute|B", "PoolRoute|C", "PoolRoute|D", "PoolRoute|E"])";

std::vector<std::string> order(const std::string& route_json) {
  Harness h(route_json);
  return h.where(Op::get, "k");
}
}  // namespace

TEST_CASE("LatestRoute: fails over within failover_count children picked at build time", "[routes][latest_route]") {
  Harness h(R"({"type": "LatestRoute", "failover_count": 2, "seed": 7, "children": )" + kFive + "}");
  CHECK(h.root->type() == "LatestRoute");
  auto chosen = h.where(Op::get, "k");
  REQUIRE(chosen.size() == 2);
  CHECK(chosen[0] != chosen[1]);
  // Every request goes to the first pick; on error to the second; then the error is returned.
  for (auto& [name, d] : h.dests.dests) d->reply = err(Result::timeout);
  h.d(chosen[1]).reply = hit("second");
  CHECK(h.route(Op::get, "k1").value == "second");
  CHECK(h.route(Op::get, "k2").value == "second");
  h.d(chosen[1]).reply = err(Result::connect_error);
  CHECK(h.route(Op::get, "k3").result == Result::connect_error);
  for (auto& [name, d] : h.dests.dests) {
    bool picked = name == chosen[0] || name == chosen[1];
    CHECK(d->seen.size() == (picked ? 3u : 0u));
  }
}

TEST_CASE("LatestRoute: the draw is reproducible and seed-dependent", "[routes][latest_route]") {
  auto with_seed = [](int seed) {
    return order(R"({"type": "LatestRoute", "seed": )" + std::to_string(seed) + R"(, "children": )" + kFive + "}");
  };
  CHECK(with_seed(1) == with_seed(1));
  CHECK(with_seed(1).size() == 5);  // default failover_count 5
  std::set<std::vector<std::string>> orders;
  for (int s = 0; s < 50; ++s) orders.insert(with_seed(s));
  CHECK(orders.size() > 30);
  std::set<std::string> firsts;
  for (const auto& o : orders) firsts.insert(o[0]);
  CHECK(firsts.size() == 5);  // every child gets to be the first choice of some proxy
  // Without a seed: the same choice for every tree of this proxy (worker threads, reloads).
  std::string plain = R"({"type": "LatestRoute", "failover_count": 1, "children": )" + kFive + "}";
  CHECK(order(plain) == order(plain));
  CHECK(order(plain).size() == 1);
}

TEST_CASE("LatestRoute: weights", "[routes][latest_route]") {
  CHECK(LatestRoute::pick(3, {0, 0, 1}, 1) == std::vector<std::size_t>{2});
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    auto p = LatestRoute::pick(seed, {1, 0, 1, 0}, 4);
    REQUIRE(p.size() == 4);
    CHECK((p[0] == 0 || p[0] == 2));
    CHECK((p[1] == 0 || p[1] == 2));
  }
  CHECK(order(R"({"type": "LatestRoute", "failover_count": 1, "weights": [0, 0, 0, 0, 1], "children": )" + kFive +
              "}") == std::vector<std::string>{"e:1"});
}

TEST_CASE("LatestRoute: shorthand, async, a dropped tree, errors", "[routes][latest_route]") {
  Harness h(R"("LatestRoute|Pool|ABC")");
  auto chosen = h.where(Op::get, "k");
  CHECK(chosen.size() == 3);
  h.d(chosen[0]).hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  h.root.reset();
  h.d(chosen[1]).reply = hit("b");
  h.d(chosen[0]).release_one(err(Result::tko));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "b");

  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "failover_count": 0})") ==
        "test.json: route.failover_count: must be at least 1");
  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "failover_count": -1})") ==
        "test.json: route.failover_count: expected a non-negative integer, got -1");
  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "weights": [1, "x"]})") ==
        "test.json: route.weights[1]: expected a number >= 0, got \"x\"");
  CHECK(build_error(R"({"type": "LatestRoute", "children": "Pool|ABC", "failover_errors": ["tko", 1]})") ==
        "test.json: route.failover_errors[1]: expected an error name, got 1");
}

TEST_CASE("LatestRoute: flush_all reaches every child, picked or not", "[routes][latest_route]") {
  Harness h(R"({"type": "LatestRoute", "failover_count": 2, "seed": 7, "children": )" + kFive + "}");
  for (auto* n : {"a:1", "b:1", "c:1", "d:1", "e:1"}) h.d(n).reply = Reply(Result::ok);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  REQUIRE(a->calls == 1);
  CHECK(a->reply.result == Result::ok);
  for (auto* n : {"a:1", "b:1", "c:1", "d:1", "e:1"}) CHECK(h.d(n).seen.size() == 1);
}
