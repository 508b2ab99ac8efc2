#pragma once
// The hash functions behind JSONM's @hash: the values folly::Hash gives for the int64 and string arguments
// mcrouter's ConfigPreprocessor passes it (twang_mix64 for integers; SpookyHash V2, 64 bits, seed 0, for
// strings), so that a config that places things by @hash gets the same numbers as under mcrouter.
//
// Contract: pure functions, any thread. spooky_v2_hash64 is util/spooky_hash's 128-bit hash with seeds 0;
// JSONM's @hash accepts strings shorter than kSpookyShortLimit bytes only (its callers refuse longer ones).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mcrelay::config::jsonm {

inline constexpr std::size_t kSpookyShortLimit = 192;

std::uint64_t twang_mix64(std::uint64_t key);
std::uint64_t spooky_v2_hash64(std::string_view message);  // message.size() < kSpookyShortLimit

}  // namespace mcrelay::config::jsonm
