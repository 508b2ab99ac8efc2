// MigrateRoute (mcrouter's MigrateRoute.h) over scripted destinations: the four phases, from the wall clock
// (start_time placed relative to now) and from an injected clock stepping through the phase boundaries.
#include <catch2/catch.hpp>

#include <ctime>

#include "route_test_util.hpp"
#include "routes/destination_route.hpp"
#include "routes/migrate_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

std::string migrate(std::int64_t start, std::int64_t interval) {
  return R"({"type": "MigrateRoute", "from": "PoolRoute|A", "to": "PoolRoute|B", "start_time": )" +
         std::to_string(start) + R"(, "interval": )" + std::to_string(interval) + "}";
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

TEST_CASE("MigrateRoute: the four phases", "[routes][migrate_route]") {
  SECTION("before start_time: everything to from") {
    Harness h(migrate(now() + 3600, 600));
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1"});
    CHECK(h.where(Op::delete_, "k") == std::vector<std::string>{"a:1"});
  }
  SECTION("first interval: deletes to both, the rest to from") {
    Harness h(migrate(now() - 10, 3600));
    CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1"});
    CHECK(h.where(Op::delete_, "k") == std::vector<std::string>{"a:1", "b:1"});
    h.route(Op::delete_, "k");
    CHECK(h.d("a:1").seen == std::vector<std::string>{"delete k"});
    CHECK(h.d("b:1").seen == std::vector<std::string>{"delete k"});
  }
  SECTION("second interval: deletes to both, the rest to to") {
    Harness h(migrate(now() - 5000, 3600));
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"b:1"});
    CHECK(h.where(Op::delete_, "k") == std::vector<std::string>{"a:1", "b:1"});
  }
  SECTION("after two intervals: everything to to; interval defaults to 3600") {
    Harness h(R"({"type": "MigrateRoute", "from": "PoolRoute|A", "to": "PoolRoute|B", "start_time": )" +
              std::to_string(now() - 7201) + "}");
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"b:1"});
    CHECK(h.where(Op::delete_, "k") == std::vector<std::string>{"b:1"});
    Harness during(R"({"type": "MigrateRoute", "from": "PoolRoute|A", "to": "PoolRoute|B", "start_time": )" +
                   std::to_string(now() - 7100) + "}");
    CHECK(during.where(Op::delete_, "k") == std::vector<std::string>{"a:1", "b:1"});
  }
}

TEST_CASE("MigrateRoute: a delete to both returns the worse reply", "[routes][migrate_route]") {
  Harness h(migrate(now() - 10, 3600));
  h.d("a:1").reply = Reply(Result::deleted);
  h.d("b:1").reply = Reply(Result::not_found);
  CHECK(h.route(Op::delete_, "k").result == Result::not_found);
  h.d("b:1").reply = err(Result::timeout);
  CHECK(h.route(Op::delete_, "k").result == Result::timeout);
  h.d("b:1").reply = Reply(Result::deleted);
  CHECK(h.route(Op::delete_, "k").result == Result::deleted);
}

TEST_CASE("MigrateRoute: phase boundaries with an injected clock", "[routes][migrate_route]") {
  ScriptedProvider p;
  config::PoolConfig pool;
  config::ServerAddress a, b;
  a.text = "a:1";
  b.text = "b:1";
  auto from = std::make_shared<DestinationRoute>(p.destination(a, pool), SendOptions{});
  auto to = std::make_shared<DestinationRoute>(p.destination(b, pool), SendOptions{});
  std::int64_t t = 0;
  MigrateRoute m(from, to, 1000, 100, [&] { return t; });
  auto where = [&](Op op) {
    std::vector<std::string> out;
    m.collect_destinations(*make_req(op, "k"), out);
    return out;
  };
  const std::vector<std::string> A = {"a:1"}, B = {"b:1"}, AB = {"a:1", "b:1"};
  for (auto [time, get, del] : std::vector<std::tuple<std::int64_t, std::vector<std::string>, std::vector<std::string>>>{
           {999, A, A}, {1000, A, AB}, {1099, A, AB}, {1100, B, AB}, {1199, B, AB}, {1200, B, B}}) {
    t = time;
    INFO("t = " << t);
    CHECK(where(Op::get) == get);
    CHECK(where(Op::set) == get);
    CHECK(where(Op::delete_) == del);
  }
}

TEST_CASE("MigrateRoute: config errors", "[routes][migrate_route]") {
  CHECK_THAT(build_error(R"({"type": "MigrateRoute", "from": "PoolRoute|A", "to": "PoolRoute|B"})"),
             Catch::Contains("missing required field \"start_time\""));
  CHECK_THAT(build_error(R"({"type": "MigrateRoute", "from": "PoolRoute|A", "to": "PoolRoute|B", "start_time": "x"})"),
             Catch::Contains("start_time: expected an integer"));
  CHECK_THAT(build_error(R"({"type": "MigrateRoute", "from": "PoolRoute|A", "start_time": 1})"),
             Catch::Contains("missing required field \"to\""));
}
