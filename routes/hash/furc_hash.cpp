#include "routes/hash/furc_hash.hpp"

#include <bit>
#include <cassert>
#include <cstddef>

#include "util/byte_order.hpp"
#include "routes/hash/murmur_hash.hpp"

namespace mcrelay {
namespace {

constexpr std::uint64_t kFurcSeed = 4193360111ULL;
constexpr std::uint32_t kFurcShift = 23;
constexpr std::uint32_t kFurcMaxTries = 32;
constexpr std::uint32_t kMaxBitLength = 32;  // d for the largest 32-bit n

// Every bit index read is < d + kFurcShift * d * kFurcMaxTries (each try advances `a` by kFurcShift * d at
// most, and a reset only moves it back to d), so this many 64-bit words always suffice.
constexpr std::size_t kMaxWords = (kMaxBitLength + kFurcShift * kMaxBitLength * kFurcMaxTries) / 64 + 1;

// The bit stream H[0] H[1] ... (H[0] = murmur(key), H[i] = murmur(le bytes of H[i-1])), computed on demand.
// Reads go forward, or back to the first word after `d` is reduced, so computed words are kept.
class FurcBits {
 public:
  explicit FurcBits(std::string_view key) noexcept : key_(key) {}

  std::uint32_t bit(std::uint32_t i) noexcept {
    const std::uint32_t word = i >> 6;
    assert(word < kMaxWords);
    while (computed_ <= word) {
      if (computed_ == 0) {
        words_[0] = murmur_hash_64a(key_.data(), key_.size(), kFurcSeed);
      } else {
        unsigned char prev[8];
        store_le64(prev, words_[computed_ - 1]);
        words_[computed_] = murmur_hash_64a(prev, sizeof prev, kFurcSeed);
      }
      ++computed_;
    }
    return static_cast<std::uint32_t>(words_[word] >> (i & 63)) & 1U;
  }

 private:
  std::string_view key_;
  std::uint32_t computed_ = 0;
  std::uint64_t words_[kMaxWords];  // deliberately uninitialised: only [0, computed_) is read
};

}  // namespace

std::uint32_t furc_hash(std::string_view key, std::uint32_t n) noexcept {
  if (n <= 1) return 0;
  // d = bit length of n - 1, i.e. the smallest d with 2^d >= n.
  std::uint32_t d = static_cast<std::uint32_t>(std::bit_width(n - 1));
  std::uint32_t a = d;
  FurcBits bits(key);
  for (std::uint32_t tries = 0; tries < kFurcMaxTries; ++tries) {
    while (bits.bit(a) == 0) {
      if (--d == 0) return 0;
      a = d;
    }
    a += kFurcShift;
    std::uint32_t num = 1;
    for (std::uint32_t i = 0; i + 1 < d; ++i) {
      num = (num << 1) | bits.bit(a);
      a += kFurcShift;
    }
    if (num < n) return num;
  }
  return 0;
}

}  // namespace mcrelay
