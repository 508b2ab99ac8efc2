// SlowWarmUpRoute (PoolRoute's slow_warmup) over scripted destinations, with a scripted random source.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/destination_route.hpp"
#include "routes/slow_warm_up_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

struct Rig {
  explicit Rig(SlowWarmUpSettings s)
      : server(std::make_shared<ScriptedDestination>("server:1")),
        spare(std::make_shared<ScriptedDestination>("spare:1")),
        route(std::make_shared<SlowWarmUpRoute>(std::make_shared<DestinationRoute>(server, SendOptions{}),
                                                std::make_shared<DestinationRoute>(spare, SendOptions{}),
                                                std::make_shared<const SlowWarmUpSettings>(s),
                                                [this] { return next_random; })) {}

  Reply send(Op op, const std::string& key) {
    auto a = std::make_shared<Answer>();
    route->route(make_req(op, key), capture(a));
    REQUIRE(a->calls == 1);
    return a->reply;
  }
  // `n` gets answered by the server with `r` (random 0: always sent to the server).
  void feed(int n, const Reply& r) {
    double saved = next_random;
    next_random = 0.0;
    server->reply = r;
    for (int i = 0; i < n; ++i) send(Op::get, "k");
    next_random = saved;
  }

  std::shared_ptr<ScriptedDestination> server, spare;
  double next_random = 0.0;
  std::shared_ptr<SlowWarmUpRoute> route;
};

SlowWarmUpSettings settings(double enable, double disable, double start, double step, std::uint64_t min) {
  SlowWarmUpSettings s;
  s.enable_threshold = enable;
  s.disable_threshold = disable;
  s.start = start;
  s.step = step;
  s.min_requests = min;
  return s;
}

}  // namespace

TEST_CASE("SlowWarmUpRoute: a cold server sends only a share of its gets, the rest fail over",
          "[routes][slow_warm_up_route]") {
  Rig rig(settings(0.5, 0.8, 0.1, 1.0, 10));
  // Below min_requests the server counts as warm, whatever it answers.
  rig.feed(9, Reply(Result::not_found));
  CHECK(rig.route->hit_rate() == 1.0);
  CHECK_FALSE(rig.route->warming_up());
  rig.feed(1, Reply(Result::not_found));  // 10 misses: hit rate 0
  CHECK(rig.route->hit_rate() == 0.0);
  // Warming up: a get goes to the server with probability start + step * 0 = 0.1.
  rig.server->seen.clear();
  rig.next_random = 0.5;
  rig.spare->reply = hit("from spare");
  CHECK(rig.send(Op::get, "g1").value == "from spare");
  CHECK(rig.route->warming_up());
  rig.next_random = 0.1;  // u <= share: sent (mcrouter compares with <=)
  rig.server->reply = Reply(Result::not_found);
  CHECK(rig.send(Op::get, "g2").result == Result::not_found);
  CHECK(rig.server->seen == std::vector<std::string>{"get g2"});
  CHECK(rig.spare->seen == std::vector<std::string>{"get g1"});
  // Updates and deletes always go to the server.
  rig.next_random = 0.99;
  rig.server->reply = Reply(Result::stored);
  CHECK(rig.send(Op::set, "s").result == Result::stored);
  rig.server->reply = Reply(Result::deleted);
  CHECK(rig.send(Op::delete_, "d").result == Result::deleted);  // a hit for the counters
  CHECK(rig.server->seen.back() == "delete d");
  CHECK(rig.spare->seen.size() == 1);
}

TEST_CASE("SlowWarmUpRoute: the share grows with the hit rate, with hysteresis between the thresholds",
          "[routes][slow_warm_up_route]") {
  Rig rig(settings(0.5, 0.8, 0.1, 1.0, 10));
  rig.feed(10, Reply(Result::not_found));
  rig.next_random = 0.55;
  rig.send(Op::get, "x");
  CHECK(rig.route->warming_up());
  // 10 hits, 10 misses: rate 0.5, still below disable_threshold 0.8: still warming, share 0.1 + 0.5 = 0.6.
  rig.feed(10, hit("v"));
  CHECK(rig.route->hit_rate() == 0.5);
  rig.server->seen.clear();
  rig.spare->seen.clear();
  rig.next_random = 0.55;
  rig.send(Op::get, "y");  // 0.55 <= 0.6: the server
  rig.next_random = 0.65;
  rig.send(Op::get, "z");  // 0.65 > 0.6: the spare
  CHECK(rig.server->seen == std::vector<std::string>{"get y"});
  CHECK(rig.spare->seen == std::vector<std::string>{"get z"});
  CHECK(rig.route->warming_up());
  // 40 hits, 10 misses (plus y's hit): rate > 0.8: warm again; every get goes to the server.
  rig.feed(30, hit("v"));
  rig.next_random = 0.99;
  rig.server->seen.clear();
  rig.send(Op::get, "w");
  CHECK_FALSE(rig.route->warming_up());
  CHECK(rig.server->seen == std::vector<std::string>{"get w"});
  // Dropping to 0.6 (between the thresholds) does not start a warm-up again: below enable_threshold does.
  rig.feed(40, Reply(Result::not_found));  // 41 hits, 50 misses + ...: about 0.45
  rig.send(Op::get, "v");
  CHECK(rig.route->warming_up());
}

TEST_CASE("SlowWarmUpRoute: errors count as neither hits nor misses", "[routes][slow_warm_up_route]") {
  Rig rig(settings(0.5, 0.8, 0.1, 1.0, 2));
  rig.feed(5, err(Result::timeout));
  CHECK(rig.route->hit_rate() == 1.0);  // nothing counted yet
  rig.feed(1, hit("v"));
  rig.feed(1, Reply(Result::not_found));
  CHECK(rig.route->hit_rate() == 0.5);
}

TEST_CASE("PoolRoute slow_warmup wraps every server, sharing one failover target", "[routes][slow_warm_up_route]") {
  Harness h(R"({"type": "PoolRoute", "pool": "ABC",
                "slow_warmup": {"failoverTarget": "PoolRoute|D",
                                "settings": {"enable_threshold": 0.5, "disable_threshold": 0.9, "min_requests": 1}}})");
  // --route-key shows the server and the failover target (mcrouter's traverse visits both).
  auto where = h.where(Op::get, "key");
  REQUIRE(where.size() == 2);
  CHECK(where[1] == "d:1");
  // A server that misses everything goes cold after min_requests: 1; its gets then mostly go to D.
  const std::string server = where[0];
  h.d(server).reply = Reply(Result::not_found);
  h.d("d:1").reply = hit("warm copy");
  int from_d = 0;
  for (int i = 0; i < 200; ++i) from_d += h.route(Op::get, "key").value == "warm copy";
  CHECK(from_d > 150);  // the share sent to the cold server is start = 0.1 (hit rate 0)
  CHECK(from_d < 200);
}

TEST_CASE("slow_warmup config errors", "[routes][slow_warm_up_route]") {
  auto with = [](const std::string& sw) {
    return build_error(R"({"type": "PoolRoute", "pool": "ABC", "slow_warmup": )" + sw + "}");
  };
  CHECK_THAT(with(R"("PoolRoute|D")"), Catch::Contains("slow_warmup: expected an object"));
  CHECK_THAT(with(R"({})"), Catch::Contains("missing required field \"failoverTarget\""));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D", "settings": {"enable_threshold": 0.5}})"),
             Catch::Contains("missing required field \"disable_threshold\""));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D", "settings": {"enable_threshold": 0.9, "disable_threshold": 0.5}})"),
             Catch::Contains("enable_threshold must be strictly less than disable_threshold"));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D", "settings": {"enable_threshold": 0.1, "disable_threshold": 1.5}})"),
             Catch::Contains("disable_threshold: must be in [0, 1]"));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D",
                      "settings": {"enable_threshold": 0.1, "disable_threshold": 0.5, "start": 1}})"),
             Catch::Contains("start: must be in (0, 1)"));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D",
                      "settings": {"enable_threshold": 0.1, "disable_threshold": 0.5, "step": 100}})"),
             Catch::Contains("step: must be in (0, 100)"));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D",
                      "settings": {"enable_threshold": 0.1, "disable_threshold": 0.5, "min_requests": 0}})"),
             Catch::Contains("min_requests: 0 is out of range"));
  CHECK_THAT(with(R"({"failoverTarget": "PoolRoute|D", "setings": {}})"), Catch::Contains("did you mean \"settings\""));
  CHECK(with(R"({"failoverTarget": "PoolRoute|D"})") == "no error");  // mcrouter's defaults
}
