// SaltedFailoverRoute: mcrouter's rewrite into FailoverRoute [PoolRoute(pool), the pool's servers].
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/hash/furc_hash.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("SaltedFailoverRoute: the key's server first, then the pool's servers in order", "[routes][salted_failover_route]") {
  Harness h(R"({"type": "SaltedFailoverRoute", "pool": "ABC"})");
  CHECK(h.root->type() == "FailoverRoute");
  const std::vector<std::string> names = {"a:1", "b:1", "c:1"};
  // A key that hashes to c:1: on error it fails over to a:1, then b:1.
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    std::string k = "k" + std::to_string(i);
    if (furc_hash(k, 3) == 2) key = k;
  }
  h.route(Op::get, key);
  CHECK(h.sent_to("c:1") == 1);
  h.d("c:1").reply = err(Result::timeout);
  h.d("a:1").reply = err(Result::connect_error);
  h.d("b:1").reply = hit("from b");
  CHECK(h.route(Op::get, key).value == "from b");
  CHECK(h.sent_to("a:1") == 1);
  CHECK(h.sent_to("b:1") == 1);
  CHECK(h.sent_to("c:1") == 2);
}

TEST_CASE("SaltedFailoverRoute: inline pool, FailoverRoute options pass through, errors", "[routes][salted_failover_route]") {
  Harness h(R"({"type": "SaltedFailoverRoute", "failover_errors": ["timeout"],
                "pool": {"name": "S", "servers": ["s:1", "s:2"]}})");
  h.route(Op::get, "k");
  const std::string first = h.sent_to("s:1") == 1 ? "s:1" : "s:2";
  h.d(first).reply = err(Result::connect_error);  // not in failover_errors: no failover
  CHECK(h.route(Op::get, "k").result == Result::connect_error);
  CHECK(h.sent_to("s:1") + h.sent_to("s:2") == 2);
  CHECK_THAT(build_error(R"({"type": "SaltedFailoverRoute"})"), Catch::Contains("missing required field \"pool\""));
  CHECK_THAT(build_error(R"({"type": "SaltedFailoverRoute", "pool": 1})"),
             Catch::Contains("pool needs to be either a string or an object"));
}
