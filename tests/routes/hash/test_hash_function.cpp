// make_hash_function(): names, defaults and argument checking.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "routes/hash/furc_hash.hpp"
#include "routes/hash/hash_function.hpp"

using mcrelay::make_hash_function;

TEST_CASE("make_hash_function builds every known hash", "[hash][factory]") {
  std::string error;
  for (const char* name : {"Ch3", "WeightedCh3", "Crc32", "ConstShard"}) {
    INFO(name);
    const auto h = make_hash_function(name, 4, {}, {}, &error);
    REQUIRE(h);
    CHECK(h->size() == 4);
    CHECK(h->index("sample") < 4);
  }
  CHECK(make_hash_function("Ch3", 100, {}, {}, &error)->index("sample") == 97);
  CHECK(make_hash_function("ConstShard", 4, {}, {}, &error)->index("b:3:meh") == 3);
  CHECK(make_hash_function("Ch3", 8388608, {}, {}, &error)->index("sample") == 5167780);
  const auto ketama = make_hash_function("Ketama", 2, {1, 3}, {"a", "b"}, &error);
  REQUIRE(ketama);
  CHECK(ketama->size() == 2);
}

TEST_CASE("make_hash_function rejects unknown names and bad arguments", "[hash][factory]") {
  std::string error;
  CHECK_FALSE(make_hash_function("Foo", 4, {}, {}, &error));
  CHECK(error == "unknown hash function \"Foo\"; expected one of Ch3, WeightedCh3, Crc32, ConstShard, Ketama, Rendezvous, WeightedRendezvous, WeightedCh3Rv");
  CHECK_FALSE(make_hash_function("ch3", 4, {}, {}, &error));  // names are case-sensitive, like mcrouter's

  for (const char* name : {"Ch3", "WeightedCh3", "Crc32", "ConstShard", "Ketama"}) {
    error.clear();
    INFO(name);
    CHECK_FALSE(make_hash_function(name, 0, {}, {}, &error));
    CHECK_FALSE(error.empty());
  }
  for (const char* name : {"Ch3", "WeightedCh3", "ConstShard"}) {
    error.clear();
    INFO(name);
    CHECK_FALSE(make_hash_function(name, mcrelay::kFurcMaxPoolSize + 1, {}, {}, &error));
    CHECK(error.find("8388608") != std::string::npos);
  }
  CHECK(make_hash_function("Crc32", mcrelay::kFurcMaxPoolSize + 1, {}, {}, &error));

  CHECK_FALSE(make_hash_function("WeightedCh3", 3, {1.0, 1.5}, {}, &error));
  CHECK(error.find("[0, 1]") != std::string::npos);
  CHECK_FALSE(make_hash_function("WeightedCh3", 3, {-0.1}, {}, &error));
  CHECK_FALSE(make_hash_function("WeightedCh3", 3, {std::numeric_limits<double>::quiet_NaN()}, {}, &error));
  CHECK(make_hash_function("WeightedCh3", 2, {1.0, 0.0, 7.0}, {}, &error));  // extra weights are ignored

  CHECK_FALSE(make_hash_function("Ketama", 2, {}, {"only-one"}, &error));
  CHECK_FALSE(make_hash_function("Ketama", 2, {1.5, 1}, {"a", "b"}, &error));
  CHECK_FALSE(make_hash_function("Ketama", 2, {-1, 1}, {"a", "b"}, &error));
  CHECK_FALSE(make_hash_function("Ketama", 2, {0, 0}, {"a", "b"}, &error));

  // A null error pointer is allowed.
  CHECK_FALSE(make_hash_function("Foo", 4, {}, {}, nullptr));
}
