// twemproxy ketama (KetamaHash), its MD5 and its fnv1a_64 key hash.
//
// The expected values below were produced independently of this code, when it was written, by running
// a Python 3.11 model of twemproxy's nc_ketama.c / nc_fnv.c using hashlib.md5 for the digests and
// struct.pack('<f') for the 32-bit float rounding of the points-per-server formula:
//
//   def f32(x): return struct.unpack('<f', struct.pack('<f', x))[0]
//   def points_per_server(w, total, nlive):
//       s = f32(f32(f32(f32(float(w)) / f32(float(total))) * 160.0) / 4.0)
//       return int(math.floor(f32(f32(s * f32(float(nlive))) + 1e-10))) * 4
//   def fnv1a_64_tw(key):                  # 32-bit, sign-extended bytes
//       h = 0x84222325
//       for b in key: h = ((h ^ (b if b < 128 else (b - 256) & 0xffffffff)) * 0x1b3) & 0xffffffff
//       return h
//   continuum: for each server s, i in range(points // 4): d = hashlib.md5(f"{id}-{i}".encode()).digest();
//              4 points struct.unpack('<I', d[4x:4x+4]); sorted by (value, build order).
//   lookup: 0 if one server or empty key, else owner of bisect_left(values, fnv1a_64_tw(key)), wrapping.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "routes/hash/fnv1a.hpp"
#include "routes/hash/hash_function.hpp"
#include "routes/hash/ketama_hash.hpp"
#include "routes/hash/md5.hpp"

using mcrelay::KetamaHash;

namespace {

std::string hex(const mcrelay::Md5Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::unique_ptr<KetamaHash> make(std::vector<std::string> ids, std::vector<std::uint32_t> weights) {
  std::string error;
  auto h = KetamaHash::create(std::move(ids), std::move(weights), &error);
  INFO(error);
  REQUIRE(h);
  return h;
}

}  // namespace

TEST_CASE("md5 matches RFC 1321 and hashlib", "[hash][ketama][md5]") {
  CHECK(hex(mcrelay::md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex(mcrelay::md5("a")) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(hex(mcrelay::md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex(mcrelay::md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(hex(mcrelay::md5("abcdefghijklmnopqrstuvwxyz")) == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(hex(mcrelay::md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(hex(mcrelay::md5("1234567890123456789012345678901234567890123456789012345678901234567890123456789"
                         "0")) == "57edf4a22be3c955ac49da2e2107b67a");
  CHECK(hex(mcrelay::md5("10.0.0.2-0")) == "3a46e3a2087fa1c062a503b5892f03c4");  // hashlib
  // Lengths around the 56/64-byte padding boundary must all differ from each other.
  const std::string bytes(130, 'q');
  for (std::size_t len = 50; len < 130; ++len) CHECK(mcrelay::md5(bytes.substr(0, len)) != mcrelay::md5(bytes.substr(0, len + 1)));
}

TEST_CASE("twemproxy fnv1a_64 is 32-bit FNV-1a with sign-extended bytes", "[hash][ketama][fnv]") {
  CHECK(mcrelay::twemproxy_fnv1a_64("") == 0x84222325U);
  CHECK(mcrelay::twemproxy_fnv1a_64("a") == 0x8601ec8cU);
  CHECK(mcrelay::twemproxy_fnv1a_64("foo") == 0xfed9d577U);
  CHECK(mcrelay::twemproxy_fnv1a_64("caf\xc3\xa9") == 0xcef6bb89U);
  CHECK(mcrelay::twemproxy_fnv1a_64("\xff") == 0x79fe466eU);  // 0x8602eb6e without sign extension
}

TEST_CASE("ketama server ids follow twemproxy", "[hash][ketama]") {
  CHECK(mcrelay::ketama_server_id("10.0.0.1", 11211) == "10.0.0.1");
  CHECK(mcrelay::ketama_server_id("10.0.0.1", 11212) == "10.0.0.1:11212");
  CHECK(mcrelay::ketama_server_id("10.0.0.1", 11212, "cache-1") == "cache-1");
}

TEST_CASE("ketama points per server use twemproxy's 32-bit float formula", "[hash][ketama]") {
  using mcrelay::ketama_points_per_server;
  // Equal weights: 160 points, except for pool sizes where float rounding lands just below 40 (25, 47, ...).
  CHECK(ketama_points_per_server(1, 1, 1) == 160);
  CHECK(ketama_points_per_server(1, 2, 2) == 160);
  CHECK(ketama_points_per_server(1, 3, 3) == 160);
  CHECK(ketama_points_per_server(1, 24, 24) == 160);
  CHECK(ketama_points_per_server(1, 25, 25) == 156);
  CHECK(ketama_points_per_server(1, 47, 47) == 156);
  CHECK(ketama_points_per_server(1, 100, 100) == 156);
  CHECK(ketama_points_per_server(1, 200, 200) == 156);
  // Weighted.
  CHECK(ketama_points_per_server(3, 4, 2) == 240);
  CHECK(ketama_points_per_server(1, 4, 2) == 80);
  CHECK(ketama_points_per_server(1, 7, 3) == 68);
  CHECK(ketama_points_per_server(5, 7, 3) == 340);
}

TEST_CASE("ketama continuum and placement: hand-checked 3-server weighted case", "[hash][ketama]") {
  // Servers 10.0.0.1:11212 (weight 1), 10.0.0.2 (port 11211, weight 1), name "cache-3" (weight 2).
  const auto h = make({"10.0.0.1:11212", "10.0.0.2", "cache-3"}, {1, 1, 2});
  REQUIRE(h->size() == 3);
  const auto& c = h->continuum();
  REQUIRE(c.size() == 480);
  std::array<int, 3> per_server{};
  for (const auto& p : c) ++per_server.at(p.index);
  CHECK(per_server == std::array<int, 3>{120, 120, 240});
  for (std::size_t i = 1; i < c.size(); ++i) REQUIRE(c[i - 1].value <= c[i].value);
  CHECK(c[0].value == 0x001d0bdfU);
  CHECK(c[0].index == 0);
  CHECK(c[1].value == 0x008eebdbU);
  CHECK(c[1].index == 0);
  CHECK(c[2].value == 0x00c6b801U);
  CHECK(c[2].index == 2);
  CHECK(c[3].value == 0x0116d1edU);
  CHECK(c[3].index == 1);
  CHECK(c[478].value == 0xff1b750dU);
  CHECK(c[479].value == 0xffbfc88fU);
  CHECK(c[479].index == 2);

  CHECK(h->index("foo") == 2);
  CHECK(h->index("bar") == 2);
  CHECK(h->index("baz") == 2);
  CHECK(h->index("user:1") == 1);
  CHECK(h->index("user:2") == 1);
  CHECK(h->index("session:abc") == 0);
  CHECK(h->index("caf\xc3\xa9") == 2);
  CHECK(h->index("\xff") == 2);
  CHECK(h->index("a") == 2);
  CHECK(h->index("key:12345") == 0);
  CHECK(h->index("key:99999") == 2);
  CHECK(h->index("x") == 1);
  CHECK(h->index("") == 0);  // empty key: 0

  std::array<int, 3> counts{};
  for (int i = 0; i < 10000; ++i) ++counts.at(h->index("key:" + std::to_string(i)));
  CHECK(counts == std::array<int, 3>{2470, 2220, 5310});
}

TEST_CASE("ketama: 25 equal servers get 156 points each and place keys like twemproxy", "[hash][ketama]") {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    ids.push_back(mcrelay::ketama_server_id("10.0.1." + std::to_string(i), i % 2 == 0 ? 11211 : 22122));
  }
  CHECK(ids[0] == "10.0.1.0");
  CHECK(ids[1] == "10.0.1.1:22122");
  std::string error;
  const auto h = mcrelay::make_hash_function("Ketama", 25, {}, ids, &error);
  REQUIRE(h);
  CHECK(dynamic_cast<const KetamaHash&>(*h).continuum().size() == 25 * 156);
  CHECK(h->index("foo") == 22);
  CHECK(h->index("bar") == 7);
  CHECK(h->index("user:1") == 19);
  CHECK(h->index("session:abc") == 4);
  CHECK(h->index("key:12345") == 6);
  CHECK(h->index("\xff\xfe") == 7);
}

TEST_CASE("ketama: one server, determinism, zero weights", "[hash][ketama]") {
  const auto one = make({"only"}, {1});
  for (const char* key : {"", "a", "foo", "key:12345"}) CHECK(one->index(key) == 0);

  const auto a = make({"s1", "s2", "s3", "s4"}, {1, 2, 1, 3});
  const auto b = make({"s1", "s2", "s3", "s4"}, {1, 2, 1, 3});
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "k" + std::to_string(i);
    REQUIRE(a->index(key) == b->index(key));
    REQUIRE(a->index(key) < 4);
  }

  const auto zero = make({"s1", "s2", "s3"}, {1, 0, 1});
  for (int i = 0; i < 2000; ++i) REQUIRE(zero->index("k" + std::to_string(i)) != 1);
}

TEST_CASE("ketama rejects bad arguments", "[hash][ketama]") {
  std::string error;
  CHECK_FALSE(KetamaHash::create({}, {}, &error));
  CHECK_FALSE(KetamaHash::create({"a", "b"}, {1}, &error));
  CHECK_FALSE(KetamaHash::create({"a", "b"}, {0, 0}, &error));
  CHECK_FALSE(KetamaHash::create({std::string(90, 'h')}, {1}, &error));
  CHECK(error.find("too long") != std::string::npos);
  CHECK(KetamaHash::create({std::string(81, 'h')}, {1}, &error));  // "<81 bytes>-39" is 84 bytes: fits
}
