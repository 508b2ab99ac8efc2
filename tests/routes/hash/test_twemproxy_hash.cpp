// twemproxy's 12 key hashes (nc_hash) and its distributions (TwemproxyHash).
//
// Placement vectors: produced by the real nutcracker 0.5.0 (Debian's package) with three memcached servers
// named alpha, beta, gamma (`127.0.0.1:PORT:W alpha` ...; with names the ports do not matter), weights 1,1,1
// or 1,3,2, by setting each key through nutcracker and asking every memcached which keys it holds (the
// probe that tests/integration/test_twemproxy_placement.py runs for every combination, frozen here).
// Raw hash vectors: the published values of the standard functions (CRC-32, FNV, MD5, one-at-a-time,
// lookup3) where twemproxy's function is the standard one.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "routes/hash/twemproxy/nc_hash.hpp"
#include "routes/hash/twemproxy/twemproxy_hash.hpp"

using mcrelay::NcDistribution;
using mcrelay::NcHash;
using mcrelay::TwemproxyHash;
using mcrelay::TwemproxyHashSpec;

TEST_CASE("twemproxy hashes: published vectors of the standard functions", "[twemproxy][hash]") {
  using mcrelay::nc_hash;
  CHECK(nc_hash(NcHash::crc32a, "123456789") == 0xCBF43926U);
  CHECK(nc_hash(NcHash::crc32, "123456789") == ((0xCBF43926U >> 16) & 0x7fffU));  // libmemcached's
  CHECK(nc_hash(NcHash::fnv1a_32, "a") == 0xe40c292cU);
  CHECK(nc_hash(NcHash::fnv1_32, "a") == 0x050c5d7eU);
  CHECK(nc_hash(NcHash::fnv1_64, "a") == 0x8601b7beU);  // low half of 0xaf63bd4c8601b7be
  CHECK(nc_hash(NcHash::md5, "") == 0xd98c1dd4U);       // d41d8cd9... read little-endian
  CHECK(nc_hash(NcHash::one_at_a_time, "a") == 0xca2e9442U);
  CHECK(nc_hash(NcHash::jenkins, "") == 0xdeadbeefU + 13U);  // lookup3, initval 13, no mixing when empty
  CHECK(nc_hash(NcHash::hsieh, "") == 0U);
}

TEST_CASE("twemproxy hashes: names", "[twemproxy][hash]") {
  for (auto name : {"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32",
                    "fnv1a_32", "hsieh", "murmur", "jenkins"}) {
    auto h = mcrelay::parse_nc_hash(name);
    REQUIRE(h.has_value());
    CHECK(mcrelay::nc_hash_name(*h) == name);
  }
  CHECK_FALSE(mcrelay::parse_nc_hash("FNV1A_64").has_value());  // case-sensitive, as twemproxy
  CHECK_FALSE(mcrelay::parse_nc_hash("crc64").has_value());
}

namespace {

struct Vector {
  const char* hash;
  NcDistribution dist;
  bool unequal;  // weights 1,3,2 instead of 1,1,1
  std::vector<unsigned> want;
};

std::unique_ptr<TwemproxyHash> make(NcHash h, NcDistribution d, std::vector<std::uint32_t> w,
                                    std::vector<std::string> ids = {"alpha", "beta", "gamma"},
                                    std::string tag = "") {
  TwemproxyHashSpec spec;
  spec.hash = h;
  spec.distribution = d;
  spec.server_ids = std::move(ids);
  spec.weights = std::move(w);
  spec.hash_tag = std::move(tag);
  std::string error;
  auto fn = TwemproxyHash::create(std::move(spec), &error);
  INFO(error);
  REQUIRE(fn);
  return fn;
}

}  // namespace

TEST_CASE("twemproxy placement: every hash x ketama/modula x weights matches nutcracker 0.5.0",
          "[twemproxy][hash]") {
  const std::vector<Vector> vectors = {
    {"one_at_a_time", NcDistribution::ketama, false, {1, 0, 2, 0}},
    {"one_at_a_time", NcDistribution::ketama, true, {2, 2, 0, 2}},
    {"one_at_a_time", NcDistribution::modula, false, {0, 0, 2, 0}},
    {"one_at_a_time", NcDistribution::modula, true, {1, 1, 2, 1}},
    {"md5", NcDistribution::ketama, false, {1, 2, 2, 1}},
    {"md5", NcDistribution::ketama, true, {1, 1, 1, 1}},
    {"md5", NcDistribution::modula, false, {0, 2, 2, 1}},
    {"md5", NcDistribution::modula, true, {2, 0, 1, 1}},
    {"crc16", NcDistribution::ketama, false, {2, 0, 1, 2}},
    {"crc16", NcDistribution::ketama, true, {1, 1, 1, 1}},
    {"crc16", NcDistribution::modula, false, {2, 1, 1, 0}},
    {"crc16", NcDistribution::modula, true, {1, 1, 1, 1}},
    {"crc32", NcDistribution::ketama, false, {0, 0, 0, 0}},
    {"crc32", NcDistribution::ketama, true, {1, 1, 1, 1}},
    {"crc32", NcDistribution::modula, false, {1, 2, 0, 1}},
    {"crc32", NcDistribution::modula, true, {1, 1, 1, 1}},
    {"crc32a", NcDistribution::ketama, false, {1, 2, 2, 0}},
    {"crc32a", NcDistribution::ketama, true, {0, 1, 2, 2}},
    {"crc32a", NcDistribution::modula, false, {0, 1, 2, 2}},
    {"crc32a", NcDistribution::modula, true, {2, 2, 0, 2}},
    {"fnv1_64", NcDistribution::ketama, false, {1, 0, 2, 1}},
    {"fnv1_64", NcDistribution::ketama, true, {2, 2, 2, 2}},
    {"fnv1_64", NcDistribution::modula, false, {2, 0, 0, 1}},
    {"fnv1_64", NcDistribution::modula, true, {1, 1, 2, 1}},
    {"fnv1a_64", NcDistribution::ketama, false, {0, 0, 1, 1}},
    {"fnv1a_64", NcDistribution::ketama, true, {1, 2, 0, 1}},
    {"fnv1a_64", NcDistribution::modula, false, {2, 0, 2, 2}},
    {"fnv1a_64", NcDistribution::modula, true, {0, 1, 2, 1}},
    {"fnv1_32", NcDistribution::ketama, false, {1, 0, 1, 0}},
    {"fnv1_32", NcDistribution::ketama, true, {1, 2, 1, 0}},
    {"fnv1_32", NcDistribution::modula, false, {1, 1, 1, 2}},
    {"fnv1_32", NcDistribution::modula, true, {1, 0, 1, 1}},
    {"fnv1a_32", NcDistribution::ketama, false, {2, 2, 2, 0}},
    {"fnv1a_32", NcDistribution::ketama, true, {1, 1, 1, 2}},
    {"fnv1a_32", NcDistribution::modula, false, {2, 2, 1, 0}},
    {"fnv1a_32", NcDistribution::modula, true, {1, 1, 2, 1}},
    {"hsieh", NcDistribution::ketama, false, {2, 0, 1, 1}},
    {"hsieh", NcDistribution::ketama, true, {2, 1, 1, 2}},
    {"hsieh", NcDistribution::modula, false, {1, 2, 0, 0}},
    {"hsieh", NcDistribution::modula, true, {1, 1, 2, 0}},
    {"murmur", NcDistribution::ketama, false, {0, 1, 0, 1}},
    {"murmur", NcDistribution::ketama, true, {0, 1, 2, 2}},
    {"murmur", NcDistribution::modula, false, {1, 0, 1, 0}},
    {"murmur", NcDistribution::modula, true, {2, 1, 0, 0}},
    {"jenkins", NcDistribution::ketama, false, {2, 2, 2, 2}},
    {"jenkins", NcDistribution::ketama, true, {1, 2, 0, 1}},
    {"jenkins", NcDistribution::modula, false, {2, 1, 0, 1}},
    {"jenkins", NcDistribution::modula, true, {1, 0, 1, 2}},
  };
  const std::vector<std::string> keys = {"foo", "user:1000", "\xc3\xa9t\xc3\xa9",
                                         "a_much_longer_key_of_37_bytes_length!"};
  REQUIRE(vectors.size() == 48);
  for (const auto& v : vectors) {
    const auto hash = mcrelay::parse_nc_hash(v.hash);
    REQUIRE(hash.has_value());
    std::vector<std::uint32_t> weights = v.unequal ? std::vector<std::uint32_t>{1, 3, 2}
                                                   : std::vector<std::uint32_t>{1, 1, 1};
    auto fn = make(*hash, v.dist, weights);
    // The probe's pool names: "<hash>-<k|m>n<e|w>", prefixed to each key with '|'.
    const std::string pool = std::string(v.hash) + "-" + (v.dist == NcDistribution::ketama ? "k" : "m") + "n" +
                             (v.unequal ? "w" : "e");
    for (std::size_t i = 0; i < keys.size(); ++i) {
      INFO(pool << " key " << i);
      CHECK(fn->index(pool + "|" + keys[i]) == v.want[i]);
    }
  }
}

TEST_CASE("twemproxy modula follows the servers sorted by name, not the config order", "[twemproxy][hash]") {
  // Same servers listed in another order: each key still goes to the same named server.
  auto abc = make(NcHash::md5, NcDistribution::modula, {1, 3, 2}, {"alpha", "beta", "gamma"});
  auto cab = make(NcHash::md5, NcDistribution::modula, {2, 1, 3}, {"gamma", "alpha", "beta"});
  const std::vector<unsigned> map_cab_to_abc = {2, 0, 1};
  for (int i = 0; i < 200; ++i) {
    const std::string key = "k" + std::to_string(i);
    CHECK(map_cab_to_abc[cab->index(key)] == abc->index(key));
  }
  // Shorter ids sort first ("b" before "aa"), as twemproxy's string_compare does.
  auto mixed = make(NcHash::md5, NcDistribution::modula, {1, 1}, {"aa", "b"});
  auto plain = make(NcHash::md5, NcDistribution::modula, {1, 1}, {"x", "yy"});
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i);
    CHECK(mixed->index(key) == 1 - plain->index(key));
  }
}

TEST_CASE("twemproxy hash_tag hashes only the tagged part", "[twemproxy][hash]") {
  using mcrelay::apply_hash_tag;
  CHECK(apply_hash_tag("user:{42}:name", "{}") == "42");
  CHECK(apply_hash_tag("user:{}:name", "{}") == "user:{}:name");  // empty tag: whole key
  CHECK(apply_hash_tag("user:{42:name", "{}") == "user:{42:name");  // no closing: whole key
  CHECK(apply_hash_tag("a}{b}", "{}") == "b");
  CHECK(apply_hash_tag("x(1)(2)", "()") == "1");
  CHECK(apply_hash_tag("plain", "") == "plain");
  auto fn = make(NcHash::fnv1a_64, NcDistribution::ketama, {1, 1, 1}, {"a", "b", "c"}, "{}");
  for (int i = 0; i < 50; ++i) {
    CHECK(fn->index("user:{" + std::to_string(i) + "}:name") == fn->index("cart:{" + std::to_string(i) + "}"));
  }
}

TEST_CASE("twemproxy ejection rebuilds the distribution over the live servers", "[twemproxy][hash]") {
  for (auto dist : {NcDistribution::ketama, NcDistribution::modula}) {
    auto fn = make(NcHash::fnv1a_64, dist, {1, 1, 1, 1}, {"a", "b", "c", "d"});
    auto without_b = make(NcHash::fnv1a_64, dist, {1, 1, 1}, {"a", "c", "d"});
    const std::vector<bool> live = {true, false, true, true};
    const std::vector<unsigned> to_full = {0, 2, 3};
    for (int i = 0; i < 300; ++i) {
      const std::string key = "key" + std::to_string(i);
      const auto got = fn->index_live(key, live);
      CHECK(got != 1);
      CHECK(got == to_full[without_b->index(key)]);  // exactly twemproxy's pool without the ejected server
      CHECK(fn->index_live(key, {true, true, true, true}) == fn->index(key));
    }
  }
}

TEST_CASE("twemproxy: a one-server pool and random", "[twemproxy][hash]") {
  auto one = make(NcHash::md5, NcDistribution::modula, {5}, {"only"});
  CHECK(one->index("anything") == 0);
  auto rnd = make(NcHash::md5, NcDistribution::random, {1, 1, 1});
  std::vector<int> seen(3);
  for (int i = 0; i < 300; ++i) seen.at(rnd->index("same-key"))++;
  CHECK(seen[0] > 0);
  CHECK(seen[1] > 0);
  CHECK(seen[2] > 0);
}

TEST_CASE("twemproxy hash: bad specs are refused", "[twemproxy][hash]") {
  std::string error;
  TwemproxyHashSpec spec;
  spec.server_ids = {"a", "a"};
  spec.weights = {1, 1};
  CHECK(TwemproxyHash::create(spec, &error) == nullptr);
  CHECK_THAT(error, Catch::Contains("same name"));
  spec.server_ids = {"a", "b"};
  spec.weights = {1, 0};
  CHECK(TwemproxyHash::create(spec, &error) == nullptr);
  CHECK_THAT(error, Catch::Contains("weight 0"));
  spec.weights = {1, 1};
  spec.hash_tag = "{";
  CHECK(TwemproxyHash::create(spec, &error) == nullptr);
  CHECK_THAT(error, Catch::Contains("two characters"));
}
