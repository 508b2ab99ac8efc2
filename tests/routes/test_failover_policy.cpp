// FailoverRoute's failover_policy (mcrouter's FailoverPolicy.h): LeastFailuresPolicy,
// DeterministicOrderPolicy and RendezvousPolicy over scripted destinations, with the expected orders
// re-derived here from the rules (salted Ch3 draws; Rendezvous order), not from the code under test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "route_test_util.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/hash/rendezvous_hash.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// The pool route ABC, then its three servers again as single-server pools (mcrouter's usual failover layout).
const std::string kPoolThenHosts = R"(["PoolRoute|ABC", "PoolRoute|A", "PoolRoute|B", "PoolRoute|C"])";
const std::vector<std::string> kHosts = {"a:1", "b:1", "c:1"};

// DeterministicOrderPolicy's order, as FailoverPolicy.h describes it: salts 2, 3, ... appended to the routing
// key, Ch3 over all n children, skipping children already used (child 0, and `skip` if any).
std::vector<std::uint32_t> deterministic(const std::string& key, std::uint32_t n, std::size_t steps, int skip) {
  std::set<std::uint32_t> used = {0};
  if (skip >= 0) used.insert(static_cast<std::uint32_t>(skip));
  std::vector<std::uint32_t> out;
  std::uint32_t salt = 1;
  while (out.size() < steps) {
    std::uint32_t idx;
    int draws = 0;
    do {
      idx = furc_hash(key + std::to_string(++salt), n);
    } while (used.count(idx) && draws++ < 100);
    used.insert(idx);
    out.push_back(idx);
  }
  return out;
}

}  // namespace

TEST_CASE("LeastFailuresPolicy: child 0 first, then the children with the fewest recent errors",
          "[routes][failover_route][failover_policy]") {
  Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C", "PoolRoute|D"],
                "failover_policy": {"type": "LeastFailuresPolicy", "max_tries": 3}})");
  h.d("a:1").reply = err(Result::timeout);
  h.d("b:1").reply = err(Result::timeout);
  h.d("c:1").reply = err(Result::timeout);
  h.d("d:1").reply = hit("d");
  // No errors yet: config order, 3 tries in all; the last one's error is returned.
  CHECK(h.route(Op::get, "k").result == Result::timeout);
  CHECK(h.sent_to("b:1") == 1);
  CHECK(h.sent_to("c:1") == 1);
  CHECK(h.sent_to("d:1") == 0);
  // b and c have one recent error each, d none: d goes first and answers.
  CHECK(h.route(Op::get, "k").value == "d");
  CHECK(h.sent_to("b:1") == 1);
  CHECK(h.sent_to("d:1") == 1);
  // A good reply resets a child's count.
  h.d("b:1").reply = hit("b");
  h.d("d:1").reply = err(Result::timeout);
  CHECK(h.route(Op::get, "k").value == "b");  // order d (0), b (1), c (1): d fails, b answers
  // Now b 0, c 1, d 1: b first, then c before d (ties keep config order), 3 tries in all.
  CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});

  CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": "Pool|ABC",
                             "failover_policy": {"type": "LeastFailuresPolicy"}})"),
             Catch::Contains("must specify \"max_tries\""));
}

TEST_CASE("DeterministicOrderPolicy: salted Ch3 draws over the children", "[routes][failover_route][failover_policy]") {
  SECTION("ignore_normal_reply_index: only child 0 is skipped") {
    Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C", "PoolRoute|D",
                                                      "PoolRoute|E"],
                  "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 4, "max_error_tries": 4,
                                      "ignore_normal_reply_index": true}})");
    const std::vector<std::string> names = {"a:1", "b:1", "c:1", "d:1", "e:1"};
    for (int i = 0; i < 50; ++i) {
      std::string key = "key" + std::to_string(i);
      std::vector<std::string> want = {"a:1"};
      for (auto idx : deterministic(key, 5, 3, -1)) want.push_back(names[idx]);
      CHECK(h.where(Op::get, key) == want);
    }
  }
  SECTION("child 0 a pool: the child holding the same server is skipped") {
    Harness h(R"({"type": "FailoverRoute", "children": )" + kPoolThenHosts + R"(,
                  "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 3, "max_error_tries": 3}})");
    for (int i = 0; i < 50; ++i) {
      std::string key = "key" + std::to_string(i);
      auto normal = furc_hash(key, 3);
      auto w = h.where(Op::get, key);
      REQUIRE(w.size() == 3);
      CHECK(w[0] == kHosts[normal]);
      std::vector<std::string> want = {kHosts[normal]};
      for (auto idx : deterministic(key, 4, 2, static_cast<int>(normal) + 1)) want.push_back(kHosts[idx - 1]);
      CHECK(w == want);
      CHECK(w[1] != w[0]);
      CHECK(w[2] != w[0]);
    }
  }
  SECTION("max_error_tries counts failed tries; TKO and exclude_errors do not count") {
    const std::string base = R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C",
                                 "PoolRoute|D", "PoolRoute|E"], "failover_policy": {"type": "DeterministicOrderPolicy",
                                 "max_tries": 5, "ignore_normal_reply_index": true, "max_error_tries": 2)";
    auto total = [](Harness& h) {
      std::size_t n = 0;
      for (auto name : {"a:1", "b:1", "c:1", "d:1", "e:1"}) n += h.sent_to(name);
      return n;
    };
    {
      Harness h(base + "}}");
      for (auto& [_, d] : h.dests.dests) d->reply = err(Result::timeout);
      CHECK(h.route(Op::get, "k").result == Result::timeout);
      CHECK(total(h) == 2);
    }
    {
      Harness h(base + "}}");
      for (auto& [_, d] : h.dests.dests) d->reply = err(Result::tko);
      CHECK(h.route(Op::get, "k").result == Result::tko);
      CHECK(total(h) == 5);  // TKO is free: every child is tried
    }
    {
      Harness h(base + R"(, "exclude_errors": ["timeout"]}})");
      for (auto& [_, d] : h.dests.dests) d->reply = err(Result::timeout);
      CHECK(h.route(Op::get, "k").result == Result::timeout);
      CHECK(total(h) == 5);
    }
  }
  SECTION("config errors") {
    CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": "Pool|ABC",
                               "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 2}})"),
               Catch::Contains("must specify \"max_error_tries\""));
    CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": "Pool|ABC", "hash": {"hash_func": "Crc32"},
                               "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 2,
                                                   "max_error_tries": 1}})"),
               Catch::Contains("Ch3 or WeightedCh3"));
    CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": "Pool|ABC",
                               "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 0,
                                                   "max_error_tries": 1}})"),
               Catch::Contains("out of range"));
  }
}

TEST_CASE("RendezvousPolicy: hosts in Rendezvous order of the key, the normal route's server skipped",
          "[routes][failover_route][failover_policy]") {
  Harness h(R"({"type": "FailoverRoute", "children": )" + kPoolThenHosts + R"(,
                "tags": ["xxx.0.yy", "xxx.1.yy", "xxx.2.yy"], "failover_policy": {"type": "RendezvousPolicy"}})");
  RendezvousHash ref({"xxx.0.yy", "xxx.1.yy", "xxx.2.yy"});
  for (int i = 0; i < 50; ++i) {
    std::string key = "key" + std::to_string(i);
    auto normal = furc_hash(key, 3);
    std::vector<std::string> want = {kHosts[normal]};
    for (auto host : ref.order(key)) {
      if (host != normal) want.push_back(kHosts[host]);
    }
    CHECK(h.where(Op::get, key) == want);
  }
  // Routing follows the same order: the normal pool's server fails, the next host answers.
  const std::string key = "key7";
  auto w = h.where(Op::get, key);
  h.d(w[0]).reply = err(Result::connect_error);
  h.d(w[1]).reply = hit("second");
  CHECK(h.route(Op::get, key).value == "second");

  CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": )" + kPoolThenHosts + R"(,
                             "failover_policy": {"type": "RendezvousPolicy"}})"),
             Catch::Contains("needs \"tags\""));
  CHECK_THAT(build_error(R"({"type": "FailoverRoute", "children": )" + kPoolThenHosts + R"(,
                             "failover_policy": {"type": "RendezvousPolicy", "tags": ["x", "y"]}})"),
             Catch::Contains("2 tags for 3"));
}

TEST_CASE("RendezvousPolicy: WeightedRendezvous when the route's hash says so", "[routes][failover_route][failover_policy]") {
  Harness h(R"({"type": "FailoverRoute", "children": )" + kPoolThenHosts + R"(, "hash": "WeightedRendezvous",
                "failover_policy": {"type": "RendezvousPolicy", "tags": ["xxx.0.yy", "xxx.1.yy", "xxx.2.yy"],
                                    "weights": {"xxx.0.yy": 1, "xxx.1.yy": 0.2, "xxx.2.yy": 0.7}}})");
  WeightedRendezvousHash ref({"xxx.0.yy", "xxx.1.yy", "xxx.2.yy"}, {1, 0.2, 0.7});
  for (int i = 0; i < 50; ++i) {
    std::string key = "key" + std::to_string(i);
    auto normal = furc_hash(key, 3);
    std::vector<std::string> want = {kHosts[normal]};
    for (auto host : ref.order(key)) {
      if (host != normal) want.push_back(kHosts[host]);
    }
    CHECK(h.where(Op::get, key) == want);
  }
}
