#include "routes/hash/hash_function.hpp"

#include <cmath>

#include <fmt/format.h>

#include "routes/hash/ch3_hash.hpp"
#include "routes/hash/const_shard_hash.hpp"
#include "routes/hash/crc32_hash.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/hash/ketama_hash.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"

namespace mcrelay {
namespace {

constexpr double kMaxKetamaWeight = 1000000;

std::unique_ptr<HashFunction> fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return nullptr;
}

}  // namespace

std::unique_ptr<HashFunction> make_hash_function(std::string_view name, std::uint32_t n,
                                                 const std::vector<double>& weights,
                                                 const std::vector<std::string>& server_ids, std::string* error) {
  const bool ch3_family = name == "Ch3" || name == "WeightedCh3" || name == "ConstShard";
  if (!ch3_family && name != "Crc32" && name != "Ketama") {
    return fail(error, fmt::format("unknown hash function \"{}\"; expected one of Ch3, WeightedCh3, Crc32, "
                                   "ConstShard, Ketama, Rendezvous, WeightedRendezvous, WeightedCh3Rv",
                                   name));
  }
  if (n == 0) return fail(error, fmt::format("hash function {}: the pool has no servers (n = 0)", name));
  if (ch3_family && n > kFurcMaxPoolSize) {
    return fail(error, fmt::format("hash function {}: {} servers is more than the maximum pool size {}", name, n,
                                   kFurcMaxPoolSize));
  }

  if (name == "Ch3") return std::make_unique<Ch3Hash>(n);
  if (name == "Crc32") return std::make_unique<Crc32Hash>(n);
  if (name == "ConstShard") return std::make_unique<ConstShardHash>(n);

  if (name == "WeightedCh3") {
    for (std::size_t i = 0; i < weights.size() && i < n; ++i) {
      if (!(weights[i] >= 0.0 && weights[i] <= 1.0)) {  // also rejects NaN
        return fail(error, fmt::format("hash function WeightedCh3: weight {} of server {} is outside [0, 1]",
                                       weights[i], i));
      }
    }
    return std::make_unique<WeightedCh3Hash>(n, weights);
  }

  // Ketama
  if (server_ids.size() != n) {
    return fail(error, fmt::format("hash function Ketama: {} servers but {} server ids", n, server_ids.size()));
  }
  std::vector<std::uint32_t> ketama_weights(n, 1);
  for (std::size_t i = 0; i < weights.size() && i < n; ++i) {
    const double w = weights[i];
    if (!(w >= 0.0 && w <= kMaxKetamaWeight) || std::floor(w) != w) {
      return fail(error, fmt::format("hash function Ketama: weight {} of server {} is not a whole number in "
                                     "[0, {}]",
                                     w, i, kMaxKetamaWeight));
    }
    ketama_weights[i] = static_cast<std::uint32_t>(w);
  }
  std::string ketama_error;
  auto ketama = KetamaHash::create(server_ids, std::move(ketama_weights), &ketama_error);
  if (!ketama) return fail(error, "hash function " + ketama_error);
  return ketama;
}

}  // namespace mcrelay
