#include "routes/hash/weighted_ch3_hash.hpp"

#include <cstring>
#include <limits>
#include <string>

#include "routes/hash/furc_hash.hpp"
#include "util/spooky_hash.hpp"

namespace mcrelay {
namespace {

constexpr std::size_t kStackKeyBytes = 512;
constexpr std::size_t kMaxSuffixDigits = 10;  // decimal digits of any 32-bit counter

}  // namespace

WeightedCh3Hash::WeightedCh3Hash(std::uint32_t n, const std::vector<double>& weights) : n_(n), thresholds_(n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    const double w = i < weights.size() ? weights[i] : kMissingWeight;
    // mcrouter: `uint64_t w = weights[index] * std::numeric_limits<uint32_t>::max();` (truncation).
    thresholds_[i] = static_cast<std::uint64_t>(w * std::numeric_limits<std::uint32_t>::max());
  }
}

std::uint32_t WeightedCh3Hash::index(std::string_view key) const noexcept {
  char stack_buf[kStackKeyBytes];
  std::string heap_buf;  // only for keys too long for stack_buf
  char* salted = nullptr;

  std::string_view current = key;
  std::uint32_t idx = 0;
  for (std::uint32_t attempt = 0; attempt < kMaxTries; ++attempt) {
    idx = furc_hash(current, n_);
    const std::uint64_t p = spooky_hash_v2_32(current.data(), current.size(), kSpookySeed);
    if (p < thresholds_[idx]) return idx;
    if (attempt + 1 == kMaxTries) break;

    if (salted == nullptr) {
      if (key.size() + kMaxSuffixDigits <= kStackKeyBytes) {
        salted = stack_buf;
      } else {
        try {
          heap_buf.resize(key.size() + kMaxSuffixDigits);
        } catch (...) {
          return idx;  // out of memory: keep the current choice rather than fail the request
        }
        salted = heap_buf.data();
      }
      if (!key.empty()) std::memcpy(salted, key.data(), key.size());
    }
    std::size_t len = key.size();
    std::uint32_t counter = attempt;
    do {
      salted[len++] = static_cast<char>('0' + counter % 10);
      counter /= 10;
    } while (counter > 0);
    current = std::string_view(salted, len);
  }
  return idx;
}

}  // namespace mcrelay
