#pragma once
// KetamaHash: twemproxy's ketama distribution (nc_ketama.c), for operators migrating from twemproxy.
// Each live server gets ketama_points_per_server() points (160 for equal weights, give or take 32-bit float
// rounding); for i in [0, points / 4), md5("<id>-<i>") yields 4 points, the little-endian u32s of digest
// bytes [4x, 4x + 4). Points are sorted by value; a key goes to the owner of the first point >= its
// twemproxy_fnv1a_64 hash, wrapping to the first point. One server, or an empty key: index 0.
//
// Contract: built by make_hash_function() (all servers are taken as live: rebuild to eject one), which is
// where MD5 runs; index() is called by route handles on worker threads. Immutable after construction:
// index() is pure, thread-safe and allocation-free (a binary search of the continuum).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

struct KetamaPoint {
  std::uint32_t value;  // position on the continuum
  std::uint32_t index;  // server index
};

// twemproxy's server id: `name` if given, else "host:port", or just "host" when port is 11211.
std::string ketama_server_id(std::string_view host, std::uint16_t port, std::string_view name = {});

// floorf((float)(pct * 160 / 4 * (float)nlive + 1e-10)) * 4 with pct = (float)weight / (float)total_weight,
// evaluated in 32-bit float exactly as twemproxy does (so e.g. some pool sizes get 156 points, not 160).
std::uint32_t ketama_points_per_server(std::uint32_t weight, std::uint32_t total_weight,
                                       std::uint32_t nlive) noexcept;

class KetamaHash final : public HashFunction {
 public:
  static constexpr std::uint32_t kPointsPerServer = 160;
  static constexpr std::uint32_t kPointsPerHash = 4;
  static constexpr std::size_t kMaxHostLen = 86;  // twemproxy's KETAMA_MAX_HOSTLEN, including the NUL

  // One server per id, weights[i] for ids[i] (same size). Returns nullptr and sets *error (if non-null)
  // when there are no servers, the ids and weights differ in count, all weights are 0, or an id is so long
  // that "<id>-<i>" would not fit twemproxy's host buffer (twemproxy itself misbehaves there).
  static std::unique_ptr<KetamaHash> create(std::vector<std::string> server_ids,
                                            std::vector<std::uint32_t> weights, std::string* error);

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return static_cast<std::uint32_t>(server_ids_.size()); }

  // The sorted continuum (for tests and introspection).
  const std::vector<KetamaPoint>& continuum() const noexcept { return continuum_; }

 private:
  KetamaHash(std::vector<std::string> server_ids, std::vector<KetamaPoint> continuum)
      : server_ids_(std::move(server_ids)), continuum_(std::move(continuum)) {}

  std::vector<std::string> server_ids_;
  std::vector<KetamaPoint> continuum_;
};

}  // namespace mcrelay
