// ConstShard (mcrouter's ConstShardHashFunc): "prefix:NNN:rest" goes to NNN when NNN < n, else Ch3.
#include <catch2/catch.hpp>

#include <string>

#include "routes/hash/const_shard_hash.hpp"
#include "routes/hash/furc_hash.hpp"

using mcrelay::ConstShardHash;

TEST_CASE("ConstShard matches the mcrouter vectors", "[hash][const_shard]") {
  const ConstShardHash h(4);
  CHECK(h.index("b:3:meh") == 3);
  CHECK(h.index("blah:4:meh") == 3);  // 4 is out of range: Ch3 decides
  CHECK(h.index("blahmeh") == 2);
}

TEST_CASE("ConstShard parses the shard id like mcrouter", "[hash][const_shard]") {
  const ConstShardHash h(100);
  auto ch3 = [](const std::string& key) { return mcrelay::furc_hash(key, 100); };
  CHECK(h.index("a:0:b") == 0);
  CHECK(h.index("a:99:b") == 99);
  CHECK(h.index("a:007:b") == 7);
  CHECK(h.index(":42:") == 42);       // empty prefix and rest are fine
  CHECK(h.index("a:42:b:c:d") == 42);  // only the first two colons matter
  CHECK(h.index("a: 42 :b") == 42);    // folly::tryTo skips surrounding whitespace
  for (const std::string key : {"a:100:b", "a:99999999999999999999999999:b", "a::b", "a:12", "a:-1:b", "a:+1:b",
                                "a:1x:b", "a:x1:b", "a: :b", "12:34", "noshard", ""}) {
    INFO("key " << key);
    CHECK(h.index(key) == ch3(key));
  }
}

TEST_CASE("const_shard_id", "[hash][const_shard]") {
  CHECK(mcrelay::const_shard_id("b:3:meh", 4) == 3U);
  CHECK_FALSE(mcrelay::const_shard_id("b:4:meh", 4).has_value());
  CHECK_FALSE(mcrelay::const_shard_id("b:3", 4).has_value());
  CHECK(mcrelay::const_shard_id("b:4294967294:c", 0xFFFFFFFFU) == 4294967294U);
  CHECK_FALSE(mcrelay::const_shard_id("b:4294967295:c", 0xFFFFFFFFU).has_value());
}
