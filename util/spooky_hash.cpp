#include "util/spooky_hash.hpp"

#include <cstring>

#include "util/byte_order.hpp"

namespace mcrelay {
namespace {

constexpr std::uint64_t kSpookyConst = 0xdeadbeefdeadbeefULL;
constexpr std::size_t kNumVars = 12;                 // 64-bit words of internal state
constexpr std::size_t kBlockSize = kNumVars * 8;     // 96 bytes per block of the long path
constexpr std::size_t kShortLimit = 2 * kBlockSize;  // below this, the short path is used

constexpr std::uint64_t rot64(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

// --- short path (len < 192) ---

inline void short_mix(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2, std::uint64_t& h3) noexcept {
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

inline void short_end(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2, std::uint64_t& h3) noexcept {
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

void spooky_short(const unsigned char* p, std::size_t len, std::uint64_t* hash1, std::uint64_t* hash2) noexcept {
  std::uint64_t a = *hash1;
  std::uint64_t b = *hash2;
  std::uint64_t c = kSpookyConst;
  std::uint64_t d = kSpookyConst;
  std::size_t remainder = len % 32;

  if (len > 15) {
    // Whole 32-byte groups, then one 16-byte group if at least 16 bytes remain.
    for (const unsigned char* end = p + (len / 32) * 32; p < end; p += 32) {
      c += load_le64(p);
      d += load_le64(p + 8);
      short_mix(a, b, c, d);
      a += load_le64(p + 16);
      b += load_le64(p + 24);
    }
    if (remainder >= 16) {
      c += load_le64(p);
      d += load_le64(p + 8);
      short_mix(a, b, c, d);
      p += 16;
      remainder -= 16;
    }
  }

  // The last 0..15 bytes (little-endian: bytes 0..7 into c, 8..14 into d) and the length.
  d += static_cast<std::uint64_t>(len) << 56;
  if (remainder == 0) {
    c += kSpookyConst;
    d += kSpookyConst;
  } else if (remainder >= 8) {
    c += load_le64(p);
    d += load_le_partial(p + 8, remainder - 8);
  } else {
    c += load_le_partial(p, remainder);
  }
  short_end(a, b, c, d);
  *hash1 = a;
  *hash2 = b;
}

// --- long path (len >= 192) ---

using State = std::uint64_t[kNumVars];

// One 96-byte block. Step i: s[i] += data[i]; s[i+2] ^= s[i+10]; s[i+11] ^= s[i]; s[i] = rot(s[i], R[i]);
// s[i+11] += s[i+1] (indices mod 12).
inline void mix(const unsigned char* data, State& s) noexcept {
  constexpr int kRot[kNumVars] = {11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46};
  for (std::size_t i = 0; i < kNumVars; ++i) {
    s[i] += load_le64(data + 8 * i);
    s[(i + 2) % kNumVars] ^= s[(i + 10) % kNumVars];
    s[(i + 11) % kNumVars] ^= s[i];
    s[i] = rot64(s[i], kRot[i]);
    s[(i + 11) % kNumVars] += s[(i + 1) % kNumVars];
  }
}

// Step i: h[i+11] += h[i+1]; h[i+2] ^= h[i+11]; h[i+1] = rot(h[i+1], R[i]) (indices mod 12).
inline void end_partial(State& h) noexcept {
  constexpr int kRot[kNumVars] = {44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54};
  for (std::size_t i = 0; i < kNumVars; ++i) {
    h[(i + 11) % kNumVars] += h[(i + 1) % kNumVars];
    h[(i + 2) % kNumVars] ^= h[(i + 11) % kNumVars];
    h[(i + 1) % kNumVars] = rot64(h[(i + 1) % kNumVars], kRot[i]);
  }
}

inline void end(const unsigned char* data, State& h) noexcept {
  for (std::size_t i = 0; i < kNumVars; ++i) h[i] += load_le64(data + 8 * i);
  end_partial(h);
  end_partial(h);
  end_partial(h);
}

void spooky_long(const unsigned char* p, std::size_t len, std::uint64_t* hash1, std::uint64_t* hash2) noexcept {
  State h;
  for (std::size_t i = 0; i < kNumVars; i += 3) {
    h[i] = *hash1;
    h[i + 1] = *hash2;
    h[i + 2] = kSpookyConst;
  }
  const std::size_t whole = (len / kBlockSize) * kBlockSize;
  for (const unsigned char* end_p = p + whole; p < end_p; p += kBlockSize) mix(p, h);

  // The last partial block, zero padded, its length in the final byte.
  const std::size_t remainder = len - whole;
  unsigned char last[kBlockSize] = {};
  std::memcpy(last, p, remainder);
  last[kBlockSize - 1] = static_cast<unsigned char>(remainder);
  end(last, h);
  *hash1 = h[0];
  *hash2 = h[1];
}

}  // namespace

void spooky_hash_v2_128(const void* data, std::size_t len, std::uint64_t* hash1, std::uint64_t* hash2) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  if (len < kShortLimit) {
    spooky_short(p, len, hash1, hash2);
  } else {
    spooky_long(p, len, hash1, hash2);
  }
}

std::uint32_t spooky_hash_v2_32(const void* data, std::size_t len, std::uint32_t seed) noexcept {
  std::uint64_t hash1 = seed;
  std::uint64_t hash2 = seed;
  spooky_hash_v2_128(data, len, &hash1, &hash2);
  return static_cast<std::uint32_t>(hash1);
}

}  // namespace mcrelay
