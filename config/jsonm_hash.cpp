#include "config/jsonm_hash.hpp"

#include "util/spooky_hash.hpp"

namespace mcrelay::config::jsonm {

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
  // folly's SpookyHashV2::Hash64(message, seed 0): the first half of Hash128 with both seeds 0.
  std::uint64_t h1 = 0;
  std::uint64_t h2 = 0;
  spooky_hash_v2_128(m.data(), m.size(), &h1, &h2);
  return h1;
}

}  // namespace mcrelay::config::jsonm
