#include "routes/hash/murmur_hash.hpp"

#include "util/byte_order.hpp"

namespace mcrelay {

std::uint64_t murmur_hash_64a(const void* data, std::size_t len, std::uint64_t seed) noexcept {
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const auto* p = static_cast<const unsigned char*>(data);

  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(len) * m);
  const unsigned char* const blocks_end = p + (len & ~static_cast<std::size_t>(7));
  for (; p != blocks_end; p += 8) {
    std::uint64_t k = load_le64(p);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  if (const std::size_t tail = len & 7; tail != 0) {
    h ^= load_le_partial(p, tail);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

}  // namespace mcrelay
