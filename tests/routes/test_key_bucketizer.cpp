// KeyBucketizer (the `bucketize` option of PoolRoute): mcrouter's bucket ids, from its McBucketRouteTest.
#include <catch2/catch.hpp>

#include "routes/key_bucketizer.hpp"

using namespace mcrelay;

TEST_CASE("KeyBucketizer: mcrouter's bucket ids", "[routes][key_bucketizer]") {
  // mcrouter/routes/test/McBucketRouteTest.cpp: "getReq" with 100 buckets is bucket 28.
  CHECK(KeyBucketizer(100, {}).bucket("getReq") == 28);
  // bucketIdWithColocation: 1000000 buckets, prefixes asdf: 1, qwert: 20, zxcv: 25.
  KeyBucketizer b(1000000, {{"asdf", 1}, {"qwert", 20}, {"zxcv", 25}});
  CHECK(b.bucket("getReq") == 755248);              // no prefix
  CHECK(b.bucket("asdf:getReq") == 304678);         // asdf's one bucket
  CHECK(b.bucket("asdf:getReq2") == 304678);
  CHECK(b.bucket("asdf:getReq3") == 304678);
  CHECK(b.bucket("asdfgetReqanything") == 304678);  // a prefix, not a word
  CHECK(b.bucket("asd:getReq") == 973109);          // not colocated
  CHECK(b.bucket("qwert:getReq") == 454705);
  CHECK(b.bucket("zxcvgetReq") == 97898);
  CHECK(b.bucket("zxcv") == 418469);
  CHECK(b.bucket("zxc") == 839734);
}

TEST_CASE("KeyBucketizer: the longest matching prefix wins", "[routes][key_bucketizer]") {
  KeyBucketizer shorter_first(1000, {{"a", 1}, {"ab", 1}});
  KeyBucketizer only_long(1000, {{"ab", 1}});
  KeyBucketizer only_short(1000, {{"a", 1}});
  CHECK(shorter_first.bucket("abc") == only_long.bucket("abc"));
  CHECK(shorter_first.bucket("ac") == only_short.bucket("ac"));
  CHECK(only_long.bucket("abc") != only_short.bucket("abc"));  // "ab0" and "a0" are different buckets
  // Every key of a one-bucket prefix shares a bucket; keys without a prefix spread out.
  for (int i = 0; i < 50; ++i) CHECK(only_short.bucket("a" + std::to_string(i)) == only_short.bucket("a"));
}
