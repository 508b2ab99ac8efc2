#pragma once
// RendezvousHash and WeightedRendezvousHash: mcrouter's "Rendezvous" and "WeightedRendezvous" hash
// functions (highest random weight over per-server tags, so removing one server moves only its own keys).
//
// Placement (mcrouter's, bit for bit):
//   tag hash  T[i] = MurmurHash64A(tag[i], seed 4193360111)
//   key hash  K    = MurmurHash64A(key, seed 2718281828)
//   score[i]       = Hash128to64(upper = T[i], lower = K)   (cityhash's 128->64 mix, mul 0x9ddfea08eb382d69)
//   Rendezvous:          the i with the highest score compared as a double (equal doubles: the higher i).
//   WeightedRendezvous:  the first i with the highest w[i] / -ln(x[i]), x[i] = (score[i] & (2^53 - 1)) / 2^53,
//                        w[i] from the tag's weight (0.5 when the tag has none); strictly greater than 0.
//   Nothing above 0 (every weight 0): index 0.
// rendezvous_order() lists every index by descending score (ties: higher index first, as mcrouter's
// priority queue pops them), for FailoverRoute's RendezvousPolicy.
//
// Contract: built at config load (make_hash_selector / FailoverRoute), then index() is called by route
// handles on worker threads. Immutable, pure and thread-safe; index() does not allocate.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

inline constexpr std::uint64_t kRendezvousTagSeed = 4193360111ULL;
inline constexpr std::uint64_t kRendezvousKeySeed = 2718281828ULL;

// cityhash's Hash128to64.
std::uint64_t hash128_to_64(std::uint64_t upper, std::uint64_t lower) noexcept;

// The low 53 bits of `v` as a double in [0, 1).
double rendezvous_unit_interval(std::uint64_t v) noexcept;

class RendezvousHash final : public HashFunction {
 public:
  explicit RendezvousHash(const std::vector<std::string>& tags);

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return static_cast<std::uint32_t>(tag_hashes_.size()); }

  // Every index, best first (the failover order of RendezvousPolicy).
  std::vector<std::uint32_t> order(std::string_view key) const;

 private:
  std::vector<std::uint64_t> tag_hashes_;
};

class WeightedRendezvousHash final : public HashFunction {
 public:
  static constexpr double kMissingWeight = 0.5;

  // weights[i] belongs to tags[i] (the caller looks tags up in the config's {"tag": weight} object).
  WeightedRendezvousHash(const std::vector<std::string>& tags, std::vector<double> weights);

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return static_cast<std::uint32_t>(tag_hashes_.size()); }

  std::vector<std::uint32_t> order(std::string_view key) const;

 private:
  double score(std::size_t i, std::uint64_t key_hash) const noexcept;

  std::vector<std::uint64_t> tag_hashes_;
  std::vector<double> weights_;
};

}  // namespace mcrelay
