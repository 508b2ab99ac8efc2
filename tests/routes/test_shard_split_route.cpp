// PoolRoute's shard_splits (mcrouter's ShardSplitter / ShardSplitRoute): shard ids, split keys, and where
// gets, deletes and sets of a split shard go, over scripted destinations.
#include <catch2/catch.hpp>

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

TEST_CASE("ShardSplitRoute: deletes go to every copy, sets to the key, gets to this host's copy",
          "[routes][shard_split]") {
  using V = std::vector<std::string>;
  SECTION("deletes") {
    Harness h(split_pool(R"({"1": 3})"));
    h.route(Op::delete_, "a:1:foo");
    CHECK(all_seen(h) == V{"delete a:1:foo", "delete a:1aa:foo", "delete a:1ba:foo"});
  }
  SECTION("sets and arithmetic: the key itself") {
    Harness h(split_pool(R"({"1": 3})"));
    h.route(Op::set, "a:1:foo");
    h.route(Op::incr, "a:1:counter");
    CHECK(all_seen(h) == V{"incr a:1:counter", "set a:1:foo"});
  }
  SECTION("gets: copy host_id % count") {
    for (std::uint32_t id : {0u, 1u, 2u, 3u, 5u}) {
      HostIdOverride host(id);
      Harness h(split_pool(R"({"1": 3})"));
      h.route(Op::get, "a:1:foo");
      const std::string expected = id % 3 == 0 ? "get a:1:foo" : id % 3 == 1 ? "get a:1aa:foo" : "get a:1ba:foo";
      CHECK(all_seen(h) == V{expected});
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
  CHECK(build_error(R"({"type": "PoolRoute", "pool": "ABC", "shard_splits": {"1": {"new_split_size": 2}}})") ==
        "test.json: route.shard_splits.1: the timed form of a shard split {\"old_split_size\", \"new_split_size\", "
        "...} is not supported; give the split count");
}
