#pragma once
// Ch3Hash: mcrouter's default "Ch3" hash function, furc_hash(key, n).
//
// Contract: built by make_hash_function(); index() is called by route handles on worker threads. Immutable,
// pure, thread-safe, no allocation. Requires 1 <= n <= kFurcMaxPoolSize (the factory checks).
#include <cstdint>
#include <string_view>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class Ch3Hash final : public HashFunction {
 public:
  explicit Ch3Hash(std::uint32_t n) noexcept : n_(n) {}

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return n_; }

 private:
  std::uint32_t n_;
};

}  // namespace mcrelay
