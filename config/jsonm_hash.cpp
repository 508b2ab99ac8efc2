#include "config/jsonm_hash.hpp"

#include <cstring>

namespace mcrelay::config::jsonm {

namespace {

constexpr std::uint64_t kSpookyConst = 0xdeadbeefdeadbeefULL;

std::uint64_t rot64(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Little-endian loads (SpookyHash reads the message as little-endian words).
std::uint64_t load(std::string_view s, std::size_t at, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

void short_mix(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2, std::uint64_t& h3) {
  h2 = rot64(h2, 50); h2 += h3; h0 ^= h2;
  h3 = rot64(h3, 52); h3 += h0; h1 ^= h3;
  h0 = rot64(h0, 30); h0 += h1; h2 ^= h0;
  h1 = rot64(h1, 41); h1 += h2; h3 ^= h1;
  h2 = rot64(h2, 54); h2 += h3; h0 ^= h2;
  h3 = rot64(h3, 48); h3 += h0; h1 ^= h3;
  h0 = rot64(h0, 38); h0 += h1; h2 ^= h0;
  h1 = rot64(h1, 37); h1 += h2; h3 ^= h1;
  h2 = rot64(h2, 62); h2 += h3; h0 ^= h2;
  h3 = rot64(h3, 34); h3 += h0; h1 ^= h3;
  h0 = rot64(h0, 5);  h0 += h1; h2 ^= h0;
  h1 = rot64(h1, 36); h1 += h2; h3 ^= h1;
}

void short_end(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2, std::uint64_t& h3) {
  h3 ^= h2; h2 = rot64(h2, 15); h3 += h2;
  h0 ^= h3; h3 = rot64(h3, 52); h0 += h3;
  h1 ^= h0; h0 = rot64(h0, 26); h1 += h0;
  h2 ^= h1; h1 = rot64(h1, 51); h2 += h1;
  h3 ^= h2; h2 = rot64(h2, 28); h3 += h2;
  h0 ^= h3; h3 = rot64(h3, 9);  h0 += h3;
  h1 ^= h0; h0 = rot64(h0, 47); h1 += h0;
  h2 ^= h1; h1 = rot64(h1, 54); h2 += h1;
  h3 ^= h2; h2 = rot64(h2, 32); h3 += h2;
  h0 ^= h3; h3 = rot64(h3, 25); h0 += h3;
  h1 ^= h0; h0 = rot64(h0, 63); h1 += h0;
}

}  // namespace

std::uint64_t twang_mix64(std::uint64_t key) {
  key = (~key) + (key << 21);
  key = key ^ (key >> 24);
  key = key + (key << 3) + (key << 8);
  key = key ^ (key >> 14);
  key = key + (key << 2) + (key << 4);
  key = key ^ (key >> 28);
  key = key + (key << 31);
  return key;
}

std::uint64_t spooky_v2_hash64(std::string_view m) {
  const std::size_t length = m.size();
  std::size_t remainder = length % 32;
  std::uint64_t a = 0;  // seed
  std::uint64_t b = 0;  // seed
  std::uint64_t c = kSpookyConst;
  std::uint64_t d = kSpookyConst;
  std::size_t at = 0;
  if (length > 15) {
    for (; at + 32 <= length; at += 32) {
      c += load(m, at, 8);
      d += load(m, at + 8, 8);
      short_mix(a, b, c, d);
      a += load(m, at + 16, 8);
      b += load(m, at + 24, 8);
    }
    if (remainder >= 16) {
      c += load(m, at, 8);
      d += load(m, at + 8, 8);
      short_mix(a, b, c, d);
      at += 16;
      remainder -= 16;
    }
  }
  d += static_cast<std::uint64_t>(length) << 56;
  if (remainder == 0) {
    c += kSpookyConst;
    d += kSpookyConst;
  } else if (remainder >= 8) {
    c += load(m, at, 8);
    d += load(m, at + 8, remainder - 8);
  } else {
    c += load(m, at, remainder);
  }
  short_end(a, b, c, d);
  return a;
}

}  // namespace mcrelay::config::jsonm
