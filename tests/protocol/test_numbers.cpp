// memcached's number acceptance rules (util.c safe_strto*), reproduced by numbers.hpp.
#include <catch2/catch.hpp>

#include "protocol/numbers.hpp"

using namespace mcrelay;

TEST_CASE("u32 like safe_strtoul", "[numbers]") {
  std::uint32_t v = 7;
  CHECK(parse_u32_like_memcached("0", v));
  CHECK(v == 0);
  CHECK(parse_u32_like_memcached("4294967295", v));
  CHECK(v == 4294967295u);
  CHECK(parse_u32_like_memcached("4294967296", v));  // stored truncated, as memcached on LP64
  CHECK(v == 0);
  CHECK(parse_u32_like_memcached("+5", v));
  CHECK(v == 5);
  CHECK_FALSE(parse_u32_like_memcached("-1", v));
  CHECK_FALSE(parse_u32_like_memcached("", v));
  CHECK_FALSE(parse_u32_like_memcached("x", v));
  CHECK_FALSE(parse_u32_like_memcached("5x", v));
  CHECK(parse_u32_like_memcached("5\t", v));  // trailing whitespace allowed
  CHECK_FALSE(parse_u32_like_memcached("99999999999999999999", v));
}

TEST_CASE("i32 like safe_strtol", "[numbers]") {
  std::int32_t v = 0;
  CHECK(parse_i32_like_memcached("-1", v));
  CHECK(v == -1);
  CHECK(parse_i32_like_memcached("2592000", v));
  CHECK(v == 2592000);
  CHECK(parse_i32_like_memcached("4294967297", v));  // truncated to 1
  CHECK(v == 1);
  CHECK_FALSE(parse_i32_like_memcached("9223372036854775808", v));
  CHECK_FALSE(parse_i32_like_memcached("--1", v));
}

TEST_CASE("u64 like safe_strtoull", "[numbers]") {
  std::uint64_t v = 0;
  CHECK(parse_u64_like_memcached("18446744073709551615", v));
  CHECK(v == 18446744073709551615ull);
  CHECK_FALSE(parse_u64_like_memcached("18446744073709551616", v));
  CHECK_FALSE(parse_u64_like_memcached("-1", v));
  CHECK(parse_u64_like_memcached("-0", v));
  CHECK(v == 0);
}

TEST_CASE("append_decimal", "[numbers]") {
  std::string s;
  append_decimal(s, std::uint64_t{18446744073709551615ull});
  s += " ";
  append_decimal(s, std::int64_t{-42});
  CHECK(s == "18446744073709551615 -42");
}
