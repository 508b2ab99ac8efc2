#pragma once
// ConstShardHash: mcrouter's "ConstShard" hash function. A key "prefix:NNN:rest" whose NNN (the text between
// the first and second ':') is a number below n goes to server NNN; every other key is placed by Ch3.
//
// Contract: built by make_hash_function(); index() is called by route handles on worker threads. Immutable,
// pure, thread-safe, no allocation. Requires 1 <= n <= kFurcMaxPoolSize (the factory checks).
#include <cstdint>
#include <optional>
#include <string_view>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

// The shard id of `key` if it has one below n. The id is parsed like mcrouter's folly::tryTo<size_t>:
// ASCII digits, optionally surrounded by whitespace (which memcached keys cannot contain anyway), no sign.
std::optional<std::uint32_t> const_shard_id(std::string_view key, std::uint32_t n) noexcept;

class ConstShardHash final : public HashFunction {
 public:
  explicit ConstShardHash(std::uint32_t n) noexcept : n_(n) {}

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return n_; }

 private:
  std::uint32_t n_;
};

}  // namespace mcrelay
