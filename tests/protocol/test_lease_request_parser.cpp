// RequestParser: mcrouter's lease-get, lease-set and metaget, fed whole, split at every byte, and one byte
// at a time.
#include <catch2/catch.hpp>

#include "parse_driver.hpp"

using mcrelay::ParserLimits;
using mcrelay::test::parse_every_split;
using Events = std::vector<std::string>;

TEST_CASE("lease-get and metaget take keys as get does", "[request_parser][lease]") {
  CHECK(parse_every_split("lease-get a\r\n") == Events{"lease-get a"});
  CHECK(parse_every_split("lease-get a  b c\r\n") == Events{"lease-get a b c"});
  CHECK(parse_every_split("metaget k\n") == Events{"metaget k"});
  CHECK(parse_every_split("metaget k k\r\n") == Events{"metaget k k"});
  CHECK(parse_every_split("lease-get\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("metaget \r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("lease-gets a\r\n") == Events{"reply:ERROR\r\n"});
  std::string k251(251, 'k');
  CHECK(parse_every_split("lease-get a " + k251 + "\r\n") ==
        Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  std::string line = "metaget", expect = "metaget";
  for (int i = 0; i < 30; ++i) {  // past the tokenizer's 23 tokens
    line += " k" + std::to_string(i);
    expect += " k" + std::to_string(i);
  }
  CHECK(parse_every_split(line + "\r\n") == Events{expect});
  // A long line of keys is allowed as for get (memcached's 2048-byte line limit is for other commands).
  std::string many = "lease-get";
  for (int i = 0; i < 500; ++i) many += " key" + std::to_string(i);
  CHECK(mcrelay::test::parse_chunks({many.substr(0, 2100), many.substr(2100) + "\r\n"}) == Events{many});
  CHECK(mcrelay::test::parse_chunks({"lease-set " + std::string(2100, 'k')}) == Events{"close"});
  ParserLimits two_keys;
  two_keys.max_keys_per_get = 2;
  CHECK(parse_every_split("lease-get a b c\r\n", two_keys) ==
        Events{"reply:CLIENT_ERROR too many keys in one get\r\n"});
}

TEST_CASE("lease-set: key, token, flags, exptime, bytes, data", "[request_parser][lease]") {
  CHECK(parse_every_split("lease-set k 123 5 60 3\r\nabc\r\n") == Events{"lease-set k token=123 f=5 exp=60 v=abc"});
  CHECK(parse_every_split("lease-set k 18446744073709551615 0 -1 0 noreply\r\n\r\n") ==
        Events{"lease-set k token=18446744073709551615 f=0 exp=-1 v= noreply"});
  // Pipelined with what follows.
  CHECK(parse_every_split("lease-set k 2 0 0 1\r\nx\r\nlease-get k\r\n") ==
        Events{"lease-set k token=2 f=0 exp=0 v=x", "lease-get k"});
}

TEST_CASE("malformed lease-set lines", "[request_parser][lease]") {
  CHECK(parse_every_split("lease-set k 1 0 0\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("lease-set k 1 0 0 1 noreply extra\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("lease-set k x 0 0 1\r\n") == Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  CHECK(parse_every_split("lease-set k -1 0 0 1\r\n") == Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  CHECK(parse_every_split("lease-set k 1 0 0 -1\r\n") == Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  CHECK(parse_every_split("lease-set " + std::string(251, 'k') + " 1 0 0 1\r\n") ==
        Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  // A data block without its terminator.
  CHECK(parse_every_split("lease-set k 1 0 0 1\r\nxy\r\n") ==
        Events{"reply:CLIENT_ERROR bad data chunk\r\n", "reply:ERROR\r\n"});
  // Too large: answered at once, the data is swallowed, the next command is read.
  ParserLimits small;
  small.max_item_size = 4;
  CHECK(parse_every_split("lease-set k 1 0 0 5\r\nabcde\r\nmetaget k\r\n", small) ==
        Events{"reply:SERVER_ERROR object too large for cache\r\n", "metaget k"});
  // noreply hides a bad-format reply as it does for set.
  CHECK(parse_every_split("lease-set k x 0 0 1 noreply\r\n") == Events{"reply:"});
}
