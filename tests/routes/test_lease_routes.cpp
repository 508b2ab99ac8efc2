// lease-get, lease-set and metaget through route handles: mcrouter's operation names in
// OperationSelectorRoute, failover by operation class, and WarmUpRoute's lease handling.
#include <catch2/catch.hpp>

#include "protocol/lease_translation.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

Reply lease_miss(std::uint64_t token) {
  Reply r(Result::not_found);
  r.cas = token;
  return r;
}

}  // namespace

TEST_CASE("OperationSelectorRoute: lease-get, lease-set and metaget by mcrouter's names", "[routes][lease]") {
  Harness h(R"({"type": "OperationSelectorRoute",
                "operation_policies": {"lease-get": "PoolRoute|A", "lease-set": "PoolRoute|B",
                                       "metaget": "PoolRoute|C", "get": "PoolRoute|D"},
                "default_policy": "PoolRoute|E"})");
  CHECK(h.where(Op::lease_get, "k") == std::vector<std::string>{"a:1"});
  CHECK(h.where(Op::lease_set, "k") == std::vector<std::string>{"b:1"});
  CHECK(h.where(Op::metaget, "k") == std::vector<std::string>{"c:1"});
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"d:1"});
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"e:1"});
  h.route(Op::lease_get, "k");
  CHECK(h.d("a:1").seen == std::vector<std::string>{"lease-get k"});
}

TEST_CASE("OperationSelectorRoute: without a lease policy, the default reply", "[routes][lease]") {
  Harness h(R"({"type": "OperationSelectorRoute", "operation_policies": {"get": "PoolRoute|A"}})");
  CHECK(h.route(Op::lease_get, "k").result == Result::not_found);
  CHECK(h.route(Op::lease_get, "k").cas == 0);  // written as LVALUE k 0 ..., as mcrouter does
  CHECK(h.route(Op::lease_set, "k").result == Result::not_stored);
  CHECK(h.route(Op::metaget, "k").result == Result::not_found);
}

TEST_CASE("FailoverRoute: lease-get fails over as a get, lease-set as an update", "[routes][lease]") {
  Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                "failover_errors": {"gets": ["timeout"], "updates": ["connect_error"]}})");
  auto& a = h.d("a:1");
  auto& b = h.d("b:1");
  b.reply = lease_miss(7);
  a.reply = err(Result::timeout);
  CHECK(h.route(Op::lease_get, "k").cas == 7);  // timeout: a get error that fails over
  CHECK(h.route(Op::metaget, "k").result == Result::not_found);
  CHECK(h.route(Op::lease_set, "k").result == Result::timeout);  // not an update failover error
  a.reply = err(Result::connect_error);
  b.reply = Reply(Result::stored);
  CHECK(h.route(Op::lease_set, "k").result == Result::stored);
}

TEST_CASE("WarmUpRoute: lease-get", "[routes][warm_up_route][lease]") {
  Harness h(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "exptime": 300})");
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  SECTION("a cold hit or a hot miss is returned; warm is not asked") {
    cold.script = {hit("c"), lease_miss(kHotMissToken)};
    CHECK(h.route(Op::lease_get, "k").value == "c");
    CHECK(h.route(Op::lease_get, "k").cas == kHotMissToken);
    CHECK(warm.seen.empty());
  }
  SECTION("a cold lease, warm hit: the warm value as a hit, lease-set into cold with the token") {
    cold.script = {lease_miss(42), Reply(Result::stored)};
    warm.reply = hit("w", 9);
    Reply r = h.route(Op::lease_get, "/r/c/k");
    CHECK(r.result == Result::found);
    CHECK(r.value == "w");
    CHECK(r.flags == 9);
    CHECK(warm.seen == std::vector<std::string>{"get k"});
    REQUIRE(cold.seen == std::vector<std::string>{"lease-get k", "lease-set k"});
    const auto& set = *cold.requests[1];
    CHECK(set.cas_unique == 42);
    CHECK(set.value == "w");
    CHECK(set.flags == 9);
    CHECK(set.exptime == 300);
    CHECK(set.key == "/r/c/k");
  }
  SECTION("a cold lease, warm miss: cold's lease goes to the client") {
    cold.reply = lease_miss(42);
    warm.reply = Reply(Result::not_found);
    CHECK(h.route(Op::lease_get, "k").cas == 42);
    CHECK(cold.seen.size() == 1);
  }
}

TEST_CASE("WarmUpRoute: metaget asks warm on a cold miss", "[routes][warm_up_route][lease]") {
  Harness h(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B"})");
  h.d("a:1").reply = Reply(Result::not_found);
  Reply w(Result::found);
  w.exptime = 123;
  h.d("b:1").reply = w;
  CHECK(h.route(Op::metaget, "k").exptime == 123);
  CHECK(h.d("a:1").seen.size() == 1);  // nothing written to cold
}
