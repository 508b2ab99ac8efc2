// PoolRoute's shadows (mcrouter's shadowing) over scripted destinations: which requests a shadow gets, and
// that the client only ever sees the pool's reply.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("PoolRoute: shadows get a copy of the requests in their index and key-fraction ranges",
          "[routes][pool_route]") {
  // Pool ABC (a:1, b:1, c:1); the shadow is pool D. Index range [0, 2): keys of a:1 and b:1 only.
  Harness all(R"({"type": "PoolRoute", "pool": "ABC", "shadows": [{"target": "PoolRoute|D", "index_range": [0, 2]}]})");
  int to_c = 0;
  for (int i = 0; i < 300; ++i) {
    std::string key = "shadow:" + std::to_string(i);
    auto where = all.where(Op::get, key);
    bool shadowed = where.front() != "c:1";
    to_c += !shadowed;
    CHECK(where.size() == (shadowed ? 2u : 1u));
    std::size_t before = all.sent_to("d:1");
    all.d(where.front()).reply = hit("prod");
    all.d("d:1").reply = hit("shadow");
    CHECK(all.route(Op::get, key).value == "prod");  // the client gets the pool's reply, never the shadow's
    CHECK(all.sent_to("d:1") == before + (shadowed ? 1 : 0));
  }
  CHECK(to_c > 50);

  // Key fraction [0, 0.25]: about a quarter of the keys (SpookyHashV2-32 of the routing key, seed 0).
  Harness part(R"({"type": "PoolRoute", "pool": "ABC",
                   "shadows": [{"target": "PoolRoute|D", "key_fraction_range": [0, 0.25]}]})");
  for (int i = 0; i < 4000; ++i) part.route(Op::set, "frac:" + std::to_string(i));
  CHECK(part.sent_to("d:1") > 850);
  CHECK(part.sent_to("d:1") < 1150);
  // The same keys are shadowed every time, and whatever the routing prefix.
  std::size_t n = part.sent_to("d:1");
  for (int i = 0; i < 4000; ++i) part.route(Op::get, "frac:" + std::to_string(i));
  CHECK(part.sent_to("d:1") == 2 * n);
}
