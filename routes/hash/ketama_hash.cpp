#include "routes/hash/ketama_hash.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/byte_order.hpp"
#include "routes/hash/fnv1a.hpp"
#include "routes/hash/md5.hpp"

namespace mcrelay {
namespace {

void set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

std::size_t decimal_digits(std::uint32_t v) noexcept {
  std::size_t digits = 1;
  while (v >= 10) {
    v /= 10;
    ++digits;
  }
  return digits;
}

}  // namespace

std::string ketama_server_id(std::string_view host, std::uint16_t port, std::string_view name) {
  if (!name.empty()) return std::string(name);
  // twemproxy leaves the port out for 11211 to stay compatible with libmemcached's ketama.
  if (port == 11211) return std::string(host);
  std::string id(host);
  id += ':';
  id += std::to_string(port);
  return id;
}

std::uint32_t ketama_points_per_server(std::uint32_t weight, std::uint32_t total_weight,
                                       std::uint32_t nlive) noexcept {
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  // pct * KETAMA_POINTS_PER_SERVER / 4 * (float)nlive_server: every step in float.
  const float scaled = pct * static_cast<float>(KetamaHash::kPointsPerServer) / 4.0F * static_cast<float>(nlive);
  // ... + 0.0000000001 is a double addition, then (float), then floorf.
  const float nudged = static_cast<float>(static_cast<double>(scaled) + 0.0000000001);
  return static_cast<std::uint32_t>(std::floor(nudged)) * KetamaHash::kPointsPerHash;
}

std::unique_ptr<KetamaHash> KetamaHash::create(std::vector<std::string> server_ids,
                                               std::vector<std::uint32_t> weights, std::string* error) {
  if (server_ids.empty()) {
    set_error(error, "Ketama needs at least one server");
    return nullptr;
  }
  if (server_ids.size() != weights.size()) {
    set_error(error, "Ketama: " + std::to_string(server_ids.size()) + " server ids but " +
                         std::to_string(weights.size()) + " weights");
    return nullptr;
  }
  std::uint64_t total_weight = 0;
  for (const std::uint32_t w : weights) total_weight += w;
  if (total_weight == 0 || total_weight > UINT32_MAX) {
    set_error(error, "Ketama: the total server weight must be in [1, 4294967295]");
    return nullptr;
  }
  const auto nlive = static_cast<std::uint32_t>(server_ids.size());

  std::vector<KetamaPoint> continuum;
  continuum.reserve(static_cast<std::size_t>(nlive) * kPointsPerServer + 4 * kPointsPerHash);
  std::string host;
  for (std::uint32_t server = 0; server < nlive; ++server) {
    const std::uint32_t points =
        ketama_points_per_server(weights[server], static_cast<std::uint32_t>(total_weight), nlive);
    const std::uint32_t hashes = points / kPointsPerHash;
    if (hashes > 0 && server_ids[server].size() + 1 + decimal_digits(hashes - 1) >= kMaxHostLen) {
      set_error(error, "Ketama: server id \"" + server_ids[server] + "\" is too long (twemproxy truncates ids to " +
                           std::to_string(kMaxHostLen - 1) + " bytes including the \"-<n>\" suffix)");
      return nullptr;
    }
    for (std::uint32_t i = 0; i < hashes; ++i) {
      host = server_ids[server];
      host += '-';
      host += std::to_string(i);
      const Md5Digest digest = md5(host);
      for (std::uint32_t x = 0; x < kPointsPerHash; ++x) {
        continuum.push_back(KetamaPoint{load_le32(digest.data() + 4 * x), server});
      }
    }
  }
  // twemproxy qsorts by value only; a stable sort keeps equal values in build order (as glibc's merge-sort
  // qsort does), so rare 32-bit collisions resolve deterministically.
  std::stable_sort(continuum.begin(), continuum.end(),
                   [](const KetamaPoint& a, const KetamaPoint& b) { return a.value < b.value; });
  return std::unique_ptr<KetamaHash>(new KetamaHash(std::move(server_ids), std::move(continuum)));
}

std::uint32_t KetamaHash::index(std::string_view key) const noexcept {
  if (server_ids_.size() == 1 || key.empty() || continuum_.empty()) return 0;
  const std::uint32_t hash = twemproxy_fnv1a_64(key);
  auto it = std::lower_bound(continuum_.begin(), continuum_.end(), hash,
                             [](const KetamaPoint& point, std::uint32_t h) { return point.value < h; });
  if (it == continuum_.end()) it = continuum_.begin();
  return it->index;
}

}  // namespace mcrelay
