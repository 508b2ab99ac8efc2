#pragma once
// furc_hash: mcrouter's "Ch3" consistent hash (Fast Uniform Random Consistent), see
// /work/shared/reference/hashing.md.
//
// Contract: called by route handles on worker threads (through Ch3Hash, WeightedCh3Hash, ConstShardHash);
// pure and thread-safe, no heap allocation (the MurmurHash64A bit chain is computed lazily in a ~3 KiB
// stack array). Returns an index in [0, n); n <= 1 gives 0. Pools are limited to kFurcMaxPoolSize servers
// (the factory enforces it), but the function itself is defined for every 32-bit n.
#include <cstdint>
#include <string_view>

namespace mcrelay {

inline constexpr std::uint32_t kFurcMaxPoolSize = 1U << 23;  // 8388608, mcrouter's furc_maximum_pool_size()

std::uint32_t furc_hash(std::string_view key, std::uint32_t n) noexcept;

}  // namespace mcrelay
