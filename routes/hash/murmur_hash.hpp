#pragma once
// MurmurHash64A (Austin Appleby), the bit source of mcrouter's furc_hash (Ch3).
//
// Contract: called by route handles on worker threads (through furc_hash / HashFunction); pure and
// thread-safe. Blocks and tail are read little-endian, so results match mcrouter on any host.
#include <cstddef>
#include <cstdint>

namespace mcrelay {

std::uint64_t murmur_hash_64a(const void* data, std::size_t len, std::uint64_t seed) noexcept;

}  // namespace mcrelay
