#pragma once
// WeightedCh3Hash: mcrouter's "WeightedCh3" hash function (pool `weights`). Up to 32 tries: idx = Ch3(k, n);
// accept idx if SpookyHashV2 Hash32(k, seed 0xface2014) < floor(w[idx] * 4294967295); otherwise retry with
// k = key + the decimal digits of a counter (0, 1, 2, ...) written least significant digit first. After the
// last try the last idx is returned.
//
// Contract: built by make_hash_function(); index() is called by route handles on worker threads. Immutable,
// pure, thread-safe. Salted keys are built in a stack buffer: no allocation unless the key is longer than
// 500 bytes. Requires 1 <= n <= kFurcMaxPoolSize and weights in [0, 1] (the factory checks).
#include <cstdint>
#include <string_view>
#include <vector>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class WeightedCh3Hash final : public HashFunction {
 public:
  static constexpr std::uint32_t kSpookySeed = 0xface2014U;
  static constexpr std::uint32_t kMaxTries = 32;
  static constexpr double kMissingWeight = 0.5;

  // weights: missing ones are kMissingWeight, extra ones are ignored.
  WeightedCh3Hash(std::uint32_t n, const std::vector<double>& weights);

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return n_; }

 private:
  std::uint32_t n_;
  std::vector<std::uint64_t> thresholds_;  // floor(w[i] * 4294967295), one per server
};

}  // namespace mcrelay
