#pragma once
// Little-endian loads and stores for the hash primitives (routes/hash/, util/spooky_hash).
//
// Contract: called by the hash functions (hence by route handles on worker threads); all functions are pure
// and thread-safe. The hashes mcrouter and twemproxy use are defined on little-endian words, so these helpers
// give the same result on any host; on little-endian hosts they compile to plain unaligned loads/stores.
#include <bit>
#include <cstdint>
#include <cstring>

namespace mcrelay {

inline std::uint32_t load_le32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

inline std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline void store_le64(unsigned char* p, std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}

// The first `len` (< 8) bytes at p as a little-endian integer (byte 0 is the least significant).
inline std::uint64_t load_le_partial(const unsigned char* p, std::size_t len) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = len; i > 0; --i) v = (v << 8) | p[i - 1];
  return v;
}

}  // namespace mcrelay
