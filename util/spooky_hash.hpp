#pragma once
// SpookyHash V2 (Bob Jenkins), 32-bit result: the low 32 bits of hash1 from Hash128(message, seed, seed).
// mcrouter's WeightedCh3 uses it (folly::hash::SpookyHashV2::Hash32, seed 0xface2014) to decide whether
// a key is accepted by the server furc_hash picked.
//
// Contract: called by route handles on worker threads (WeightedCh3Hash, shadows, BigValueRoute) and by the
// config loader (JSONM's @hash, config/jsonm_hash.cpp); pure and thread-safe, no heap allocation. Input words are read little-endian, matching the reference on x86/ARM. Inputs of
// any length are supported (short path below 192 bytes, block path above).
#include <cstddef>
#include <cstdint>

namespace mcrelay {

// Full 128-bit SpookyHash V2: *hash1 and *hash2 are the seeds on input and the hash on output.
void spooky_hash_v2_128(const void* data, std::size_t len, std::uint64_t* hash1, std::uint64_t* hash2) noexcept;

std::uint32_t spooky_hash_v2_32(const void* data, std::size_t len, std::uint32_t seed) noexcept;

}  // namespace mcrelay
