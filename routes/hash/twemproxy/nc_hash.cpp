#include "routes/hash/twemproxy/nc_hash.hpp"

#include <array>

#include "routes/hash/crc32.hpp"
#include "routes/hash/fnv1a.hpp"
#include "routes/hash/md5.hpp"

namespace mcrelay {
namespace {

// A key byte as twemproxy's `(uint32_t)key[x]` sees it: sign-extended from a signed char.
inline std::uint32_t schar32(char c) noexcept {
  return static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(c)));
}
inline std::uint64_t schar64(char c) noexcept {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<signed char>(c)));
}
inline std::uint32_t uchar(char c) noexcept { return static_cast<unsigned char>(c); }
inline std::uint32_t rotl(std::uint32_t x, int k) noexcept { return (x << k) | (x >> (32 - k)); }

std::uint32_t one_at_a_time(std::string_view key) noexcept {
  std::uint32_t v = 0;
  for (char c : key) {
    v += schar32(c);
    v += v << 10;
    v ^= v >> 6;
  }
  v += v << 3;
  v ^= v >> 11;
  v += v << 15;
  return v;
}

std::uint32_t md5_hash(std::string_view key) noexcept {
  const Md5Digest d = md5(key);
  return std::uint32_t{d[0]} | (std::uint32_t{d[1]} << 8) | (std::uint32_t{d[2]} << 16) |
         (std::uint32_t{d[3]} << 24);
}

// nutcracker 0.5.0's crc16: the XMODEM table (polynomial 0x1021, MSB first), but the running value is a
// uint32_t that is shifted left without truncation, so the result is a 32-bit value, not a CRC-16.
// (Found by placing keys through the real nutcracker 0.5.0: its crc16 is not the kernel's CRC-16/ARC that
// later twemproxy sources carry.)
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned c = i << 8;
    for (int b = 0; b < 8; ++b) c = (c & 0x8000U) != 0 ? ((c << 1) ^ 0x1021U) & 0xFFFFU : (c << 1) & 0xFFFFU;
    t[i] = static_cast<std::uint16_t>(c);
  }
  return t;
}
constexpr auto kCrc16Table = make_crc16_table();

std::uint32_t crc16(std::string_view key) noexcept {
  std::uint32_t crc = 0;
  for (char c : key) crc = (crc << 8) ^ kCrc16Table[((crc >> 8) ^ uchar(c)) & 0xFFU];
  return crc;
}

std::uint32_t fnv1_64(std::string_view key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : key) {
    h *= 0x100000001b3ULL;
    h ^= schar64(c);
  }
  return static_cast<std::uint32_t>(h);
}

std::uint32_t fnv1_32(std::string_view key) noexcept {
  std::uint32_t h = 2166136261U;
  for (char c : key) {
    h *= 16777619U;
    h ^= schar32(c);
  }
  return h;
}

std::uint32_t fnv1a_32(std::string_view key) noexcept {
  std::uint32_t h = 2166136261U;
  for (char c : key) {
    h ^= schar32(c);
    h *= 16777619U;
  }
  return h;
}

inline std::uint32_t get16(const char* p) noexcept { return uchar(p[0]) | (uchar(p[1]) << 8); }

std::uint32_t hsieh(std::string_view key) noexcept {
  if (key.empty()) return 0;
  const char* p = key.data();
  std::uint32_t h = 0;
  const std::size_t rem = key.size() & 3U;
  for (std::size_t blocks = key.size() >> 2; blocks > 0; --blocks) {
    h += get16(p);
    const std::uint32_t tmp = (get16(p + 2) << 11) ^ h;
    h = (h << 16) ^ tmp;
    p += 4;
    h += h >> 11;
  }
  switch (rem) {
    case 3:
      h += get16(p);
      h ^= h << 16;
      h ^= schar32(p[2]) << 18;  // twemproxy reads this byte as a signed char
      h += h >> 11;
      break;
    case 2:
      h += get16(p);
      h ^= h << 11;
      h += h >> 17;
      break;
    case 1:
      h += uchar(p[0]);
      h ^= h << 10;
      h += h >> 1;
      break;
    default:
      break;
  }
  h ^= h << 3;
  h += h >> 5;
  h ^= h << 4;
  h += h >> 17;
  h ^= h << 25;
  h += h >> 6;
  return h;
}

// MurmurHash2 as twemproxy seeds it: seed = 0xdeadbeef * len; blocks read little-endian.
std::uint32_t murmur(std::string_view key) noexcept {
  constexpr std::uint32_t m = 0x5bd1e995U;
  auto len = static_cast<std::uint32_t>(key.size());
  std::uint32_t h = (0xdeadbeefU * len) ^ len;
  const char* p = key.data();
  std::size_t n = key.size();
  while (n >= 4) {
    std::uint32_t k = uchar(p[0]) | (uchar(p[1]) << 8) | (uchar(p[2]) << 16) | (uchar(p[3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
    p += 4;
    n -= 4;
  }
  switch (n) {
    case 3:
      h ^= uchar(p[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= uchar(p[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= uchar(p[0]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Bob Jenkins' lookup3 hashlittle with initval 13. twemproxy picks an aligned-word, half-word or byte loop
// by the key's address; on a little-endian host all three compute this byte-wise result.
std::uint32_t jenkins(std::string_view key) noexcept {
  std::uint32_t a = 0xdeadbeefU + static_cast<std::uint32_t>(key.size()) + 13U;
  std::uint32_t b = a;
  std::uint32_t c = a;
  const char* k = key.data();
  std::size_t length = key.size();
  auto mix = [&] {
    a -= c; a ^= rotl(c, 4);  c += b;
    b -= a; b ^= rotl(a, 6);  a += c;
    c -= b; c ^= rotl(b, 8);  b += a;
    a -= c; a ^= rotl(c, 16); c += b;
    b -= a; b ^= rotl(a, 19); a += c;
    c -= b; c ^= rotl(b, 4);  b += a;
  };
  auto word = [](const char* p, std::size_t bytes) {
    std::uint32_t w = 0;
    for (std::size_t i = 0; i < bytes; ++i) w |= uchar(p[i]) << (8 * i);
    return w;
  };
  while (length > 12) {
    a += word(k, 4);
    b += word(k + 4, 4);
    c += word(k + 8, 4);
    mix();
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  a += word(k, length < 4 ? length : 4);
  if (length > 4) b += word(k + 4, length < 8 ? length - 4 : 4);
  if (length > 8) c += word(k + 8, length - 8);
  c ^= b; c -= rotl(b, 14);
  a ^= c; a -= rotl(c, 11);
  b ^= a; b -= rotl(a, 25);
  c ^= b; c -= rotl(b, 16);
  a ^= c; a -= rotl(c, 4);
  b ^= a; b -= rotl(a, 14);
  c ^= b; c -= rotl(b, 24);
  return c;
}

struct NamedHash {
  std::string_view name;
  NcHash hash;
};
constexpr std::array<NamedHash, 12> kHashes = {{
    {"one_at_a_time", NcHash::one_at_a_time},
    {"md5", NcHash::md5},
    {"crc16", NcHash::crc16},
    {"crc32", NcHash::crc32},
    {"crc32a", NcHash::crc32a},
    {"fnv1_64", NcHash::fnv1_64},
    {"fnv1a_64", NcHash::fnv1a_64},
    {"fnv1_32", NcHash::fnv1_32},
    {"fnv1a_32", NcHash::fnv1a_32},
    {"hsieh", NcHash::hsieh},
    {"murmur", NcHash::murmur},
    {"jenkins", NcHash::jenkins},
}};

}  // namespace

std::optional<NcHash> parse_nc_hash(std::string_view name) noexcept {
  for (const auto& h : kHashes) {
    if (h.name == name) return h.hash;
  }
  return std::nullopt;
}

std::string_view nc_hash_name(NcHash h) noexcept {
  for (const auto& e : kHashes) {
    if (e.hash == h) return e.name;
  }
  return "?";
}

std::string_view nc_hash_names() noexcept {
  return "one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, "
         "jenkins";
}

std::uint32_t nc_hash(NcHash h, std::string_view key) noexcept {
  switch (h) {
    case NcHash::one_at_a_time: return one_at_a_time(key);
    case NcHash::md5: return md5_hash(key);
    case NcHash::crc16: return crc16(key);
    case NcHash::crc32: return (crc32(key) >> 16) & 0x7fffU;
    case NcHash::crc32a: return crc32(key);
    case NcHash::fnv1_64: return fnv1_64(key);
    case NcHash::fnv1a_64: return twemproxy_fnv1a_64(key);
    case NcHash::fnv1_32: return fnv1_32(key);
    case NcHash::fnv1a_32: return fnv1a_32(key);
    case NcHash::hsieh: return hsieh(key);
    case NcHash::murmur: return murmur(key);
    case NcHash::jenkins: return jenkins(key);
  }
  return 0;
}

}  // namespace mcrelay
