// KeySplitRoute: replicas "<key>" and "<key>::<i>", this host's replica chosen by host_id() % replicas.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/host_id.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kSplit3 = R"({"type": "KeySplitRoute", "destination": "PoolRoute|A", "replicas": 3, "all_sync": false})";
const std::string kSplit3Sync = R"({"type": "KeySplitRoute", "destination": "PoolRoute|A", "replicas": 3, "all_sync": true})";
}  // namespace

TEST_CASE("KeySplitRoute: gets and other commands go to this host's replica only", "[routes][key_split_route]") {
  SECTION("replica 0 is the key itself") {
    HostIdOverride id(3);  // 3 % 3 == 0
    Harness h(kSplit3);
    h.route(Op::get, "/r/c/hot");
    h.route(Op::set, "/r/c/hot");
    h.route(Op::incr, "n");
    CHECK(h.d("a:1").seen == std::vector<std::string>{"get hot", "set hot", "incr n"});
  }
  SECTION("replica 2 appends ::2 to the full key") {
    HostIdOverride id(5);  // 5 % 3 == 2
    Harness h(kSplit3);
    h.route(Op::get, "/r/c/hot");
    h.route(Op::set, "k");
    CHECK(h.d("a:1").requests.at(0)->key == "/r/c/hot::2");
    CHECK(h.d("a:1").seen == std::vector<std::string>{"get hot::2", "set k::2"});
  }
}

TEST_CASE("KeySplitRoute: all_sync sets and all deletes reach every replica, the reply is our replica's",
          "[routes][key_split_route]") {
  HostIdOverride id(1);
  Harness sync(kSplit3Sync);
  sync.d("a:1");  // built
  sync.d("a:1").script = {Reply(Result::stored), Reply(Result::stored), Reply(Result::not_stored)};
  CHECK(sync.route(Op::set, "k").result == Result::not_stored);  // own replica (1) is sent last
  CHECK(sync.d("a:1").seen == std::vector<std::string>{"set k", "set k::2", "set k::1"});
  Harness plain(kSplit3);
  plain.route(Op::delete_, "k");
  CHECK(plain.d("a:1").seen == std::vector<std::string>{"delete k", "delete k::2", "delete k::1"});
  plain.route(Op::set, "s");
  CHECK(plain.d("a:1").seen.back() == "set s::1");
  CHECK(plain.d("a:1").seen.size() == 4);
}

TEST_CASE("KeySplitRoute: first_hit asks every replica and answers with the first hit", "[routes][key_split_route]") {
  HostIdOverride id(0);
  Harness h(R"({"type": "KeySplitRoute", "destination": "PoolRoute|A", "replicas": 2, "all_sync": false,
                "first_hit": true})");
  h.d("a:1");
  h.d("a:1").hold = true;
  auto a = h.start(make_req(Op::get, "k"));
  CHECK(h.d("a:1").seen == std::vector<std::string>{"get k", "get k::1"});
  h.d("a:1").release_one(Reply(Result::not_found));
  CHECK(a->calls == 0);
  h.d("a:1").release_one(hit("v"));
  CHECK(a->calls == 1);
  CHECK(a->reply.value == "v");
  auto b = h.start(make_req(Op::get, "m"));
  h.d("a:1").release_all(Reply(Result::not_found));
  CHECK(b->calls == 1);
  CHECK(b->reply.result == Result::not_found);
}

TEST_CASE("KeySplitRoute: config errors", "[routes][key_split_route]") {
  CHECK_THAT(build_error(R"({"type": "KeySplitRoute", "destination": "NullRoute", "replicas": 2})"),
             Catch::Contains("missing required field \"all_sync\""));
  CHECK_THAT(build_error(R"({"type": "KeySplitRoute", "destination": "NullRoute", "replicas": 1, "all_sync": true})"),
             Catch::Contains("route.replicas: 1 is out of range [2, 1000]"));
  CHECK_THAT(build_error(R"({"type": "KeySplitRoute", "destination": "NullRoute", "replicas": 1001, "all_sync": true})"),
             Catch::Contains("out of range [2, 1000]"));
}
