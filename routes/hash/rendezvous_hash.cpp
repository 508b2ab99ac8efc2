#include "routes/hash/rendezvous_hash.hpp"

#include <algorithm>
#include <cmath>

#include "routes/hash/murmur_hash.hpp"

namespace mcrelay {

namespace {

std::vector<std::uint64_t> hash_tags(const std::vector<std::string>& tags) {
  std::vector<std::uint64_t> out;
  out.reserve(tags.size());
  for (const auto& t : tags) out.push_back(murmur_hash_64a(t.data(), t.size(), kRendezvousTagSeed));
  return out;
}

std::uint64_t key_hash(std::string_view key) { return murmur_hash_64a(key.data(), key.size(), kRendezvousKeySeed); }

// Indexes sorted by descending score; equal scores: the higher index first (mcrouter's max-heap of
// (score, index) pairs pops the larger index first).
template <typename Score>
std::vector<std::uint32_t> sorted_by_score(std::size_t n, Score&& score) {
  std::vector<std::pair<double, std::uint32_t>> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.emplace_back(score(i), static_cast<std::uint32_t>(i));
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::uint32_t> out;
  out.reserve(n);
  for (const auto& [_, i] : v) out.push_back(i);
  return out;
}

}  // namespace

std::uint64_t hash128_to_64(std::uint64_t upper, std::uint64_t lower) noexcept {
  constexpr std::uint64_t kMul = 0x9ddfea08eb382d69ULL;
  std::uint64_t a = (lower ^ upper) * kMul;
  a ^= a >> 47;
  std::uint64_t b = (upper ^ a) * kMul;
  b ^= b >> 47;
  b *= kMul;
  return b;
}

double rendezvous_unit_interval(std::uint64_t v) noexcept {
  constexpr std::uint64_t kLow53 = (std::uint64_t{1} << 53) - 1;
  return static_cast<double>(v & kLow53) / static_cast<double>(std::uint64_t{1} << 53);
}

RendezvousHash::RendezvousHash(const std::vector<std::string>& tags) : tag_hashes_(hash_tags(tags)) {}

std::uint32_t RendezvousHash::index(std::string_view key) const noexcept {
  // As current mcrouter: the 64-bit score compared as a double, equal doubles going to the higher index
  // (the order its priority-queue iterator uses too).
  const std::uint64_t k = key_hash(key);
  double best = -1.0;
  std::uint32_t best_pos = 0;
  for (std::size_t i = 0; i < tag_hashes_.size(); ++i) {
    const double s = static_cast<double>(hash128_to_64(tag_hashes_[i], k));
    if (s > best || (s == best && i > best_pos)) {
      best = s;
      best_pos = static_cast<std::uint32_t>(i);
    }
  }
  return best_pos;
}

std::vector<std::uint32_t> RendezvousHash::order(std::string_view key) const {
  const std::uint64_t k = key_hash(key);
  return sorted_by_score(tag_hashes_.size(),
                         [&](std::size_t i) { return static_cast<double>(hash128_to_64(tag_hashes_[i], k)); });
}

WeightedRendezvousHash::WeightedRendezvousHash(const std::vector<std::string>& tags, std::vector<double> weights)
    : tag_hashes_(hash_tags(tags)), weights_(std::move(weights)) {
  weights_.resize(tag_hashes_.size(), kMissingWeight);
}

double WeightedRendezvousHash::score(std::size_t i, std::uint64_t k) const noexcept {
  const double x = rendezvous_unit_interval(hash128_to_64(tag_hashes_[i], k));
  return weights_[i] * (1.0 / (-std::log(x)));
}

std::uint32_t WeightedRendezvousHash::index(std::string_view key) const noexcept {
  const std::uint64_t k = key_hash(key);
  double best = 0;
  std::uint32_t best_pos = 0;
  for (std::size_t i = 0; i < tag_hashes_.size(); ++i) {
    const double s = score(i, k);
    if (s > best) {
      best = s;
      best_pos = static_cast<std::uint32_t>(i);
    }
  }
  return best_pos;
}

std::vector<std::uint32_t> WeightedRendezvousHash::order(std::string_view key) const {
  const std::uint64_t k = key_hash(key);
  return sorted_by_score(tag_hashes_.size(), [&](std::size_t i) { return score(i, k); });
}

}  // namespace mcrelay
