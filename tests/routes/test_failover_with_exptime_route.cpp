// FailoverWithExptimeRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("FailoverWithExptimeRoute: failed-over writes get the short exptime", "[routes][failover_with_exptime_route]") {
  Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B"})");
  CHECK(h.root->type() == "FailoverWithExptimeRoute");
  h.d("a:1").reply = err(Result::timeout);
  auto req = make_req(Op::set, "k", 3600);
  CHECK(h.route(req).result == Result::stored);
  REQUIRE(h.d("a:1").requests.size() == 1);
  REQUIRE(h.d("b:1").requests.size() == 1);
  CHECK(h.d("a:1").requests[0]->exptime == 3600);
  CHECK(h.d("b:1").requests[0]->exptime == 60);  // default failover_exptime
  CHECK(h.d("b:1").requests[0]->value == "v");
  CHECK(h.d("b:1").seen[0] == "set k");
  CHECK(req->exptime == 3600);  // the client's request is untouched

  SECTION("0 (never) is capped, shorter exptimes stay") {
    h.route(make_req(Op::set, "k", 0));
    CHECK(h.d("b:1").requests.back()->exptime == 60);
    h.route(make_req(Op::add, "k", 10));
    CHECK(h.d("b:1").requests.back()->exptime == 10);
    h.route(make_req(Op::touch, "k", 1000));
    CHECK(h.d("b:1").requests.back()->exptime == 60);
  }
  SECTION("reads and deletes pass unchanged") {
    auto get = make_req(Op::get, "k");
    h.route(get);
    CHECK(h.d("b:1").requests.back().get() == get.get());
    auto del = make_req(Op::delete_, "k");
    h.route(del);
    CHECK(h.d("b:1").requests.back().get() == del.get());
  }
  SECTION("no failover, no change") {
    h.d("a:1").reply = Reply(Result::stored);
    auto set = make_req(Op::set, "k2", 3600);
    h.route(set);
    CHECK(h.d("a:1").requests.back().get() == set.get());
    CHECK(h.d("b:1").requests.size() == 1);
  }
}

TEST_CASE("FailoverWithExptimeRoute: options", "[routes][failover_with_exptime_route]") {
  SECTION("failover list, custom exptime, failover_errors") {
    Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                  "failover": ["PoolRoute|B", "PoolRoute|C"], "failover_exptime": 5,
                  "failover_errors": ["remote_error", "tko"]})");
    h.d("a:1").reply = err(Result::remote_error);
    h.d("b:1").reply = err(Result::tko);
    CHECK(h.route(make_req(Op::set, "k", 100)).result == Result::stored);
    CHECK(h.d("c:1").requests.back()->exptime == 5);
    h.d("a:1").reply = err(Result::timeout);  // not listed
    CHECK(h.route(make_req(Op::set, "k", 100)).result == Result::timeout);
    CHECK(h.d("c:1").requests.size() == 1);
    CHECK(h.where(Op::get, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
  }
  // failover_exptime 0 (no cap): with the other values <= 0 in the test case below.
}

TEST_CASE("FailoverWithExptimeRoute: failover_exptime <= 0 means no cap, as in mcrouter",
          "[routes][failover_with_exptime_route]") {
  for (const char* exptime : {"0", "-1", "-60", "-2147483648", "-9223372036854775808"}) {
    CAPTURE(exptime);
    Harness h(std::string(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                              "failover": ["PoolRoute|B", "PoolRoute|C"], "failover_exptime": )") +
              exptime + "}");
    h.d("a:1").reply = err(Result::timeout);
    // Every write keeps its own exptime on the failover routes, 0 ("never") included: nothing is capped,
    // and the request is passed on as it is, not copied.
    for (std::int64_t own : {std::int64_t{3600}, std::int64_t{0}, std::int64_t{10}, std::int64_t{-1}}) {
      auto set = make_req(Op::set, "k", own);
      CHECK(h.route(set).result == Result::stored);
      REQUIRE(h.d("b:1").requests.back().get() == set.get());
      CHECK(h.d("b:1").requests.back()->exptime == own);
    }
    auto touch = make_req(Op::touch, "k", 1000);
    h.route(touch);
    CHECK(h.d("b:1").requests.back()->exptime == 1000);
    h.d("b:1").reply = err(Result::tko);
    auto add = make_req(Op::add, "k", 500);
    h.route(add);
    CHECK(h.d("c:1").requests.back().get() == add.get());
    CHECK(h.d("c:1").requests.back()->exptime == 500);
    CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
  }
  SECTION("1 caps (the smallest positive value)") {
    Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                  "failover_exptime": 1})");
    h.d("a:1").reply = err(Result::timeout);
    h.route(make_req(Op::set, "k", 0));
    CHECK(h.d("b:1").requests.back()->exptime == 1);
  }
  SECTION("the largest cap is INT32_MAX, as mcrouter's int32") {
    CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                          "failover_exptime": 2147483647})") == "no error");
    CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                          "failover_exptime": 2147483648})")
              .find("test.json: route.failover_exptime: 2147483648 is out of range") == 0);
    CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover_exptime": 1.5})") ==
          "test.json: route.failover_exptime: expected an integer, got 1.5");
  }
}

TEST_CASE("FailoverWithExptimeRoute: the reference config loads", "[routes][failover_with_exptime_route]") {
  auto cfg = config::parse_config(
      R"({"pools": {"A.wildcard": {"servers": ["localhost:12345"]}, "B.wildcard": {"servers": ["localhost:12346"]}},
          "route": {"type": "FailoverWithExptimeRoute", "failover": "PoolRoute|B.wildcard",
                    "normal": "PoolRoute|A.wildcard"}})",
      "test.json");
  ScriptedProvider dests;
  auto root = RouteFactory(cfg, dests).build(cfg.routes.at(0).route, "route");
  dests.dests.at("localhost:12345")->reply = err(Result::tko);
  auto a = std::make_shared<Answer>();
  root->route(make_req(Op::set, "k", 0), capture(a));
  CHECK(a->reply.result == Result::stored);
  CHECK(dests.dests.at("localhost:12346")->requests.back()->exptime == 60);
}

TEST_CASE("FailoverWithExptimeRoute: async completion after the tree is dropped", "[routes][failover_with_exptime_route]") {
  Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B"})");
  h.d("a:1").hold = true;
  h.d("b:1").hold = true;
  auto a = h.start(make_req(Op::set, "k", 999));
  h.root.reset();
  h.d("a:1").release_one(err(Result::timeout));
  CHECK(a->calls == 0);
  CHECK(h.d("b:1").requests.back()->exptime == 60);
  h.d("b:1").release_one(Reply(Result::stored));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::stored);
}

TEST_CASE("FailoverWithExptimeRoute: config errors", "[routes][failover_with_exptime_route]") {
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "failover": "PoolRoute|B"})") ==
        "test.json: route: missing required field \"normal\"");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover_exptime": "60"})") ==
        "test.json: route.failover_exptime: expected an integer, got \"60\"");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "settings": {"tko": 1}})") ==
        "test.json: route.settings.tko: expected true, false or an object {\"gets\", \"updates\", \"deletes\"}, got 1");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                        "settings": {"tko": {"gets": "yes"}}})") ==
        "test.json: route.settings.tko.gets: expected true or false, got \"yes\"");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                        "settings": {"connect_timeout": false}})") ==
        "test.json: route.settings: unknown key \"connect_timeout\" in FailoverWithExptimeRoute settings (did you mean "
        "\"connectTimeout\"?)");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "settings": {},
                        "failover_errors": ["timeout"]})") ==
        "test.json: route: both \"settings\" and \"failover_errors\" say which errors fail over; give one");
  CHECK(build_error(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|X"})") ==
        "test.json: route.failover.pool: unknown pool \"X\"; did you mean \"A\"?");
}

TEST_CASE("FailoverWithExptimeRoute: failover_tag appends :failover=1 after a hash stop",
          "[routes][failover_with_exptime_route]") {
  // mcrouter's TestGetFailoverWithFailoverTag: key "testkey|#|extra=1" reaches the failover pool as
  // "testkey|#|extra=1:failover=1"; the normal pool gets the key unchanged.
  Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": ["PoolRoute|B", "PoolRoute|C"],
                "failover_tag": true})");
  h.d("a:1").reply = err(Result::timeout);
  h.d("b:1").reply = err(Result::timeout);
  h.route(make_req(Op::set, "testkey|#|extra=1", 100));
  CHECK(h.d("a:1").seen == std::vector<std::string>{"set testkey|#|extra=1"});
  CHECK(h.d("b:1").seen == std::vector<std::string>{"set testkey|#|extra=1:failover=1"});
  CHECK(h.d("c:1").seen == std::vector<std::string>{"set testkey|#|extra=1:failover=1"});
  SECTION("no hash stop, or no room: the key is unchanged") {
    h.route(make_req(Op::get, "plain"));
    CHECK(h.d("b:1").seen.back() == "get plain");
    std::string long_key = std::string(240, 'k') + "|#|x";  // 244 + 11 > 250
    h.route(make_req(Op::get, long_key));
    CHECK(h.d("b:1").seen.back() == "get " + long_key);
  }
  SECTION("without failover_tag nothing is appended") {
    Harness plain(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B"})");
    plain.d("a:1").reply = err(Result::timeout);
    plain.route(make_req(Op::get, "testkey|#|extra=1"));
    CHECK(plain.d("b:1").seen == std::vector<std::string>{"get testkey|#|extra=1"});
  }
}

TEST_CASE("FailoverWithExptimeRoute: the old settings object switches failover per error kind and operation",
          "[routes][failover_with_exptime_route]") {
  // mcrouter's FailoverWithExptimeSettings: tko (TKO, connect error, busy), connectTimeout and dataTimeout
  // (timeout, SERVER_ERROR), each on for gets and updates and off for deletes unless told otherwise.
  auto failed_over = [](const std::string& settings, Op op, Result error) {
    Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                  "settings": )" + settings + "}");
    h.d("a:1").reply = err(error);
    h.route(op, "k");
    return h.sent_to("b:1") == 1;
  };
  SECTION("defaults: gets and updates fail over, deletes do not; a local error never does") {
    CHECK(failed_over("{}", Op::get, Result::timeout));
    CHECK(failed_over("{}", Op::set, Result::connect_timeout));
    CHECK(failed_over("{}", Op::get, Result::tko));
    CHECK(failed_over("{}", Op::get, Result::remote_error));
    CHECK_FALSE(failed_over("{}", Op::delete_, Result::timeout));
    CHECK_FALSE(failed_over("{}", Op::get, Result::local_error));
    CHECK_FALSE(failed_over("{}", Op::get, Result::client_error));
  }
  SECTION("a bool sets a kind for every operation; an object, the operations it names") {
    CHECK_FALSE(failed_over(R"({"dataTimeout": false})", Op::get, Result::timeout));
    CHECK(failed_over(R"({"dataTimeout": false})", Op::get, Result::connect_timeout));
    CHECK(failed_over(R"({"tko": true})", Op::delete_, Result::connect_error));
    CHECK_FALSE(failed_over(R"({"tko": true})", Op::delete_, Result::timeout));
    CHECK_FALSE(failed_over(R"({"connectTimeout": {"updates": false}})", Op::set, Result::connect_timeout));
    CHECK(failed_over(R"({"connectTimeout": {"updates": false}})", Op::get, Result::connect_timeout));
  }
  SECTION("the object's own gets/updates/deletes are every kind's defaults") {
    CHECK(failed_over(R"({"deletes": true})", Op::delete_, Result::timeout));
    CHECK_FALSE(failed_over(R"({"gets": false})", Op::get, Result::tko));
    CHECK(failed_over(R"({"gets": false, "tko": {"gets": true}})", Op::get, Result::tko));
    CHECK_FALSE(failed_over(R"({"gets": false, "tko": {"gets": true}})", Op::get, Result::timeout));
  }
}

TEST_CASE("FailoverWithExptimeRoute: settings.failover_tag tags the failover requests",
          "[routes][failover_with_exptime_route]") {
  // mcrouter's test_get_failover_with_failover_tag.json gives failover_tag inside "settings".
  Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                "failover_exptime": 3, "settings": {"failover_tag": true}})");
  h.d("a:1").reply = err(Result::timeout);
  h.route(make_req(Op::get, "testkey|#|extra=1"));
  CHECK(h.d("a:1").seen == std::vector<std::string>{"get testkey|#|extra=1"});
  CHECK(h.d("b:1").seen == std::vector<std::string>{"get testkey|#|extra=1:failover=1"});
}
