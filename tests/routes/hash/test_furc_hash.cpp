// furc_hash (mcrouter's Ch3) and its MurmurHash64A bit source: every vector of
// /work/shared/reference/hashing.md, plus edge cases.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "routes/hash/ch3_hash.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/hash/murmur_hash.hpp"

using mcrelay::furc_hash;

TEST_CASE("furc_hash matches the mcrouter vectors", "[hash][furc]") {
  CHECK(furc_hash("sample", 100) == 97);
  CHECK(furc_hash("", 100) == 72);
  CHECK(furc_hash("key0", 5) == 4);
  CHECK(furc_hash("key0", 1000) == 950);
  CHECK(furc_hash("user:12345:profile", 1000000) == 368844);
  CHECK(furc_hash("", 8388608) == 6173600);
  CHECK(furc_hash("sample", 8388608) == 5167780);
  CHECK(furc_hash("short", 16777216) == 10975421);  // furc itself, above the pool limit
}

TEST_CASE("furc_hash over keys \"0\"..\"999\" and 3 servers gives {307, 342, 351}", "[hash][furc]") {
  std::array<int, 3> counts{};
  for (int i = 0; i < 1000; ++i) ++counts.at(furc_hash(std::to_string(i), 3));
  CHECK(counts == std::array<int, 3>{307, 342, 351});
}

TEST_CASE("furc_hash edge cases", "[hash][furc]") {
  SECTION("n = 1 and n = 0 give 0") {
    for (const char* key : {"", "a", "sample", "user:12345:profile"}) {
      CHECK(furc_hash(key, 1) == 0);
      CHECK(furc_hash(key, 0) == 0);
    }
  }
  SECTION("results are in range for all sizes, including 32-bit ones beyond the pool limit") {
    for (const std::uint32_t n : {2U, 3U, 7U, 64U, 65U, 1000U, 8388607U, 8388608U, 16777216U, 0x80000000U,
                                  0xFFFFFFFFU}) {
      for (int i = 0; i < 200; ++i) {
        const std::string key = "k" + std::to_string(i);
        const std::uint32_t idx = furc_hash(key, n);
        INFO("key " << key << " n " << n);
        REQUIRE(idx < n);
      }
    }
  }
  SECTION("keys with any bytes, including NUL and high bytes") {
    const std::string key("a\0b\xff\x80", 5);
    CHECK(furc_hash(key, 1000) == furc_hash(key, 1000));
    CHECK(furc_hash(key, 1000) < 1000);
    CHECK(furc_hash(std::string(300, 'x'), 1000) < 1000);
  }
  SECTION("Ch3Hash is furc_hash") {
    const mcrelay::Ch3Hash h(1000);
    CHECK(h.size() == 1000);
    CHECK(h.index("key0") == 950);
    CHECK(h.index("user:12345:profile") == furc_hash("user:12345:profile", 1000));
  }
}

TEST_CASE("murmur_hash_64a basics", "[hash][murmur]") {
  // Empty input, seed 0: h = 0 and the final mix keeps 0.
  CHECK(mcrelay::murmur_hash_64a("", 0, 0) == 0);
  // The seed matters, and so does every tail length (1..7 bytes after the 8-byte blocks).
  const std::string data = "0123456789abcdef";
  CHECK(mcrelay::murmur_hash_64a(data.data(), 6, 4193360111ULL) != mcrelay::murmur_hash_64a(data.data(), 6, 0));
  for (std::size_t len = 1; len < data.size(); ++len) {
    CHECK(mcrelay::murmur_hash_64a(data.data(), len, 1) != mcrelay::murmur_hash_64a(data.data(), len + 1, 1));
  }
}
