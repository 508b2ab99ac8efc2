#pragma once
// Crc32Hash: mcrouter's "Crc32" hash function, (crc32(key) & 0x7fffffff) % n.
//
// Contract: built by make_hash_function(); index() is called by route handles on worker threads. Immutable,
// pure, thread-safe, no allocation. Requires n >= 1 (any 32-bit n; the factory checks).
#include <cstdint>
#include <string_view>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class Crc32Hash final : public HashFunction {
 public:
  explicit Crc32Hash(std::uint32_t n) noexcept : n_(n) {}

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return n_; }

 private:
  std::uint32_t n_;
};

}  // namespace mcrelay
