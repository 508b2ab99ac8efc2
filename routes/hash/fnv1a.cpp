#include "routes/hash/fnv1a.hpp"

namespace mcrelay {

std::uint32_t twemproxy_fnv1a_64(std::string_view key) noexcept {
  std::uint32_t hash = 0x84222325U;  // (uint32_t)0xcbf29ce484222325
  for (const char ch : key) {
    // twemproxy: `uint32_t val = (uint32_t)key[x];` with a signed char, so bytes >= 0x80 sign-extend.
    hash ^= static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(ch)));
    hash *= 0x000001b3U;  // (uint32_t)0x100000001b3
  }
  return hash;
}

}  // namespace mcrelay
