// PoolRoute's shard_splits (mcrouter's ShardSplitter / ShardSplitRoute): shard ids, split keys, and where
// gets, deletes and sets of a split shard go, over scripted destinations.
#include <catch2/catch.hpp>

#include <chrono>
#include <utility>

#include "route_test_util.hpp"
#include "routes/host_id.hpp"
#include "routes/shard_split_route.hpp"
#include "routes/shard_splitter.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// Every key the pool's servers were sent, in order.
std::vector<std::string> all_seen(Harness& h) {
  std::vector<std::string> out;
  for (const auto* name : {"a:1", "b:1", "c:1"}) {
    for (const auto& s : h.d(name).seen) out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// PoolRoute over pool ABC (servers a:1, b:1, c:1) with these shard_splits.
std::string split_pool(const std::string& splits) {
  return R"({"type": "PoolRoute", "pool": "ABC", "shard_splits": )" + splits + "}";
}

}  // namespace

TEST_CASE("ShardSplitter: the shard id of a key, as mcrouter's getShardId", "[routes][shard_split]") {
  CHECK(ShardSplitter::shard_id("a:1:blah") == std::optional<std::string_view>("1"));
  CHECK(ShardSplitter::shard_id("user:12345:name:x") == std::optional<std::string_view>("12345"));
  CHECK(ShardSplitter::shard_id("a:x1:b") == std::optional<std::string_view>("x1"));  // ends with a digit
  CHECK_FALSE(ShardSplitter::shard_id("a:1aa:blah"));  // a split copy is not split again
  CHECK_FALSE(ShardSplitter::shard_id("a:1"));
  CHECK_FALSE(ShardSplitter::shard_id("a::b"));
  CHECK_FALSE(ShardSplitter::shard_id("plain"));
}

TEST_CASE("ShardSplitter: split keys, as mcrouter's createSplitKey", "[routes][shard_split]") {
  // test_shard_splits.py: with "1": 3 the copies of "a:1:blah" are "a:1aa:blah" and "a:1ba:blah".
  CHECK(ShardSplitter::split_key("a:1:blah", 3, 1) == "a:1aa:blah");
  CHECK(ShardSplitter::split_key("a:1:blah", 3, 2) == "a:1ba:blah");
  CHECK(ShardSplitter::split_key("a:1:blah", 3, 26) == "a:1za:blah");
  CHECK(ShardSplitter::split_key("a:1:blah", 3, 27) == "a:1ab:blah");
  CHECK(ShardSplitter::split_key("/r/c/a:1:blah", 8, 1) == "/r/c/a:1aa:blah");
}

TEST_CASE("ShardSplitRoute: deletes go to every copy, everything else to this host's copy",
          "[routes][shard_split]") {
  using V = std::vector<std::string>;
  SECTION("deletes") {
    Harness h(split_pool(R"({"1": 3})"));
    h.route(Op::delete_, "a:1:foo");
    CHECK(all_seen(h) == V{"delete a:1:foo", "delete a:1aa:foo", "delete a:1ba:foo"});
  }
  SECTION("gets, sets and arithmetic: copy host_id % count (mcrouter's current ShardSplitRoute)") {
    for (std::uint32_t id : {0u, 1u, 2u, 3u, 5u}) {
      HostIdOverride host(id);
      Harness h(split_pool(R"({"1": 3})"));
      h.route(Op::get, "a:1:foo");
      h.route(Op::set, "a:1:foo");
      h.route(Op::incr, "a:1:counter");
      const std::string copy = id % 3 == 0 ? "1" : id % 3 == 1 ? "1aa" : "1ba";
      CHECK(all_seen(h) == V{"get a:" + copy + ":foo", "incr a:" + copy + ":counter", "set a:" + copy + ":foo"});
    }
  }
  SECTION("shards not split, keys without a shard id, and split copies pass through") {
    Harness h(split_pool(R"({"1": 3})"));
    h.route(Op::delete_, "a:5:bar");
    h.route(Op::delete_, "nokey");
    h.route(Op::delete_, "a:1aa:foo");
    CHECK(all_seen(h) == V{"delete a:1aa:foo", "delete a:5:bar", "delete nokey"});
  }
  SECTION("the routing prefix stays in front; the shard id is read after it") {
    Harness h(split_pool(R"({"7": 2})"));
    auto req = make_req(Op::delete_, "/r/c/x:7:y");
    req->prefix_len = 5;
    h.route(req);
    CHECK(all_seen(h) == V{"delete x:7:y", "delete x:7aa:y"});
  }
  SECTION("--route-key lists every copy a delete reaches") {
    HostIdOverride host(0);
    Harness h(split_pool(R"({"1": 2})"));
    CHECK(h.where(Op::delete_, "a:1:foo").size() == 2);
    CHECK(h.where(Op::set, "a:1:foo").size() == 1);
    CHECK(h.root->type() == "ShardSplitRoute");
    CHECK(Harness(split_pool("{}")).root->type() == "PoolRoute");
  }
}

TEST_CASE("ShardSplitter: counts as mcrouter reads them", "[routes][shard_split]") {
  Harness capped(R"({"type": "PoolRoute", "pool": "ABC", "shard_splits": {"1": 10000, "2": 1, "3": -1, "4": "x"}})");
  CHECK(capped.warnings == std::vector<std::string>{
                               "test.json: route.shard_splits.1: split count 10000 capped at 677, as mcrouter caps it",
                               "test.json: route.shard_splits.3: shard split ignored, as older mcrouter releases "
                               "ignore it: the split count must be a positive integer, got -1",
                               "test.json: route.shard_splits.4: shard split ignored, as older mcrouter releases "
                               "ignore it: the split count must be a positive integer, got \"x\""});
  CHECK(capped.where(Op::delete_, "a:1:k").size() == 677);
  CHECK(capped.where(Op::delete_, "a:2:k").size() == 1);
  CHECK(capped.where(Op::delete_, "a:3:k").size() == 1);
  Harness huge(R"({"type": "PoolRoute", "pool": "ABC", "shard_splits": {"1": 18446744073709551615}})");
  CHECK(huge.where(Op::delete_, "a:1:k").size() == 677);
}

TEST_CASE("ShardSplitter: timed splits, as mcrouter's ShardSplitterTest", "[routes][shard_split]") {
  using std::chrono::seconds;
  const auto now = std::chrono::system_clock::now();
  const auto unix_now = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
  // mcrouter's getConfigTemplate: 1 -> 10 copies over 7200 s.
  auto timed = [&](std::int64_t start) {
    return nlohmann::json{{"123", {{"old_split_size", 1}, {"new_split_size", 10}, {"migration_period", 7200},
                                   {"split_start", start}}}};
  };
  config::Config cfg = config::parse_config(test_config_text(R"("NullRoute")"), "test.json");
  ScriptedProvider dests;
  RouteFactory f(cfg, dests);
  // The share of host ids (0 .. 32767, as mcrouter's test) that use the new count.
  auto migrated = [&](std::int64_t start) {
    auto splitter = ShardSplitter::parse(f, timed(start), "shard_splits", now);
    std::string_view shard;
    const auto* split = splitter.find("abc:123:", &shard);
    REQUIRE(split != nullptr);
    CHECK(shard == "123");
    std::size_t n = 0;
    for (std::uint32_t host = 0; host < 32768; ++host) {
      const auto size = split->size_for_host(now, host);
      if (size == 10) ++n;
      if (size != 1 && size != 10) FAIL("size " << size);
    }
    return static_cast<double>(n) / 32768;
  };
  CHECK(migrated(unix_now + 100) == 0.0);   // beforeMigration
  CHECK(migrated(unix_now - 8000) == 1.0);  // afterMigration
  for (auto [elapsed, point] : {std::pair{720, 0.1}, {1440, 0.2}, {3600, 0.5}, {6480, 0.9}}) {
    const double m = migrated(unix_now - elapsed);
    CHECK(m > point - 0.01);
    CHECK(m < point + 0.02);
  }
  // A plain count fans deletes out; a timed split only with fanout_deletes.
  auto plain = ShardSplitter::parse(f, nlohmann::json{{"123", 10}}, "shard_splits", now);
  CHECK(plain.find("abc:123:", nullptr)->fanout_deletes);
  CHECK_FALSE(plain.find("abc:123aa:", nullptr));
  CHECK_FALSE(plain.find("abc:12:", nullptr));
  CHECK_FALSE(ShardSplitter::parse(f, timed(unix_now - 8000), "shard_splits", now).find("abc:123:", nullptr)->fanout_deletes);
  CHECK_THROWS_WITH(ShardSplitter::parse(f, nlohmann::json{{"1", {{"new_split_size", 0}}}}, "shard_splits", now),
                    "test.json: shard_splits.1.new_split_size: expected a positive integer, got 0");
  CHECK_THROWS_WITH(ShardSplitter::parse(f, nlohmann::json{{"1", {{"split_start", -5}}}}, "shard_splits", now),
                    "test.json: shard_splits.1.split_start: expected a non-negative integer (seconds), got -5");
}

TEST_CASE("ShardSplitRoute: a timed split without fanout_deletes sends deletes to this host's copy only",
          "[routes][shard_split]") {
  HostIdOverride host(1);
  Harness h(split_pool(R"({"1": {"old_split_size": 3, "new_split_size": 3}})"));
  h.route(Op::delete_, "a:1:foo");
  CHECK(all_seen(h) == std::vector<std::string>{"delete a:1aa:foo"});
  Harness fan(split_pool(R"({"1": {"new_split_size": 2, "fanout_deletes": true}})"));
  fan.route(Op::delete_, "a:1:foo");
  CHECK(all_seen(fan) == std::vector<std::string>{"delete a:1:foo", "delete a:1aa:foo"});
}
