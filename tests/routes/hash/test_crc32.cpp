// CRC-32 (IEEE/zlib) and mcrouter's Crc32 hash function.
#include <catch2/catch.hpp>

#include <string>

#include "routes/hash/crc32.hpp"
#include "routes/hash/crc32_hash.hpp"
#include "routes/hash/hash_function.hpp"

using mcrelay::crc32;

TEST_CASE("crc32 is the standard IEEE/zlib CRC-32", "[hash][crc32]") {
  CHECK(crc32("") == 0x00000000U);
  CHECK(crc32("a") == 0xe8b7be43U);
  CHECK(crc32("123456789") == 0xcbf43926U);  // the CRC-32 check value
  CHECK(crc32("The quick brown fox jumps over the lazy dog") == 0x414fa339U);
  CHECK(crc32(std::string("\0\0\0\0", 4)) == 0x2144df1cU);
}

TEST_CASE("Crc32 hash function matches mcrouter", "[hash][crc32]") {
  CHECK(mcrelay::Crc32Hash(100).index("sample") == 7);
  CHECK(mcrelay::Crc32Hash((1U << 30) - 1).index("sample") == 822834884);

  std::string error;
  const auto h = mcrelay::make_hash_function("Crc32", 100, {}, {}, &error);
  REQUIRE(h);
  CHECK(h->size() == 100);
  CHECK(h->index("sample") == 7);
  // Crc32 has no Ch3 pool-size limit.
  CHECK(mcrelay::make_hash_function("Crc32", (1U << 30) - 1, {}, {}, &error)->index("sample") == 822834884);
  CHECK(mcrelay::Crc32Hash(1).index("anything") == 0);
}
