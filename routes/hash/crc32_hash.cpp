#include "routes/hash/crc32_hash.hpp"

#include "routes/hash/crc32.hpp"

namespace mcrelay {

std::uint32_t Crc32Hash::index(std::string_view key) const noexcept { return (crc32(key) & 0x7fffffffU) % n_; }

}  // namespace mcrelay
