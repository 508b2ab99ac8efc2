#pragma once
// TwemproxyHash: a pool's server choice exactly as nutcracker 0.5.0 makes it (nc_server.c
// server_pool_server): optional hash_tag, then the pool's key hash (nc_hash.hpp), then the distribution:
//   ketama: twemproxy's continuum (KetamaHash's points, seeded by server ids, weighted), first point >= hash;
//   modula: a table with `weight` slots per server in server order; slot hash % total_weight;
//   random: a uniformly random server (weights ignored, as twemproxy does); cannot match key by key.
// A pool of one server always answers 0 (twemproxy hashes nothing then).
// hash_tag "{}": when the key has a '{' followed later by a '}' with at least one byte between them, only
// those bytes are hashed ("user:{42}:name" hashes "42"); otherwise the whole key is.
//
// Ejection (twemproxy's auto_eject_hosts): index_live() answers as twemproxy does once the servers whose
// `live` bit is false are ejected: the distribution is rebuilt over the live servers only (ketama points
// per server are recomputed from the live count and live weights), so the ejected servers' keys spread over
// the others and the live servers' keys mostly stay (ketama) or reshuffle (modula), as in twemproxy.
//
// Contract: built at config load (route factory); index()/index_live() run on worker threads. index() is
// pure and allocation-free except for `random` (a per-thread generator). index_live() builds and caches the
// live-set's table under a mutex the first time a given set of servers is down (rare: an ejection).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routes/hash/hash_function.hpp"
#include "routes/hash/twemproxy/nc_hash.hpp"

namespace mcrelay {

enum class NcDistribution : std::uint8_t { ketama, modula, random };

std::optional<NcDistribution> parse_nc_distribution(std::string_view name) noexcept;
std::string_view nc_distribution_name(NcDistribution d) noexcept;

struct TwemproxyHashSpec {
  NcHash hash = NcHash::fnv1a_64;
  NcDistribution distribution = NcDistribution::ketama;
  std::string hash_tag;                 // empty, or exactly 2 bytes
  std::vector<std::string> server_ids;  // ketama seeds: the name, else ketama_server_id(host, port)
  std::vector<std::uint32_t> weights;   // one per server, each >= 1
};

// The key bytes twemproxy hashes for `key` under `hash_tag` (see the header comment).
std::string_view apply_hash_tag(std::string_view key, std::string_view hash_tag) noexcept;

class TwemproxyHash final : public HashFunction {
 public:
  // nullptr and *error set (if non-null) for no servers, ids/weights of another count, a weight of 0, a
  // hash_tag that is not 2 bytes, or a ketama id too long for twemproxy.
  static std::unique_ptr<TwemproxyHash> create(TwemproxyHashSpec spec, std::string* error);
  ~TwemproxyHash() override;

  std::uint32_t index(std::string_view key) const noexcept override;
  std::uint32_t size() const noexcept override { return static_cast<std::uint32_t>(spec_.server_ids.size()); }

  // `live[i]` false: server i is ejected. With none live (or all), the same as index().
  std::uint32_t index_live(std::string_view key, const std::vector<bool>& live) const;

  const TwemproxyHashSpec& spec() const noexcept { return spec_; }

  // One distribution table over a subset of the servers (public for the implementation file only).
  struct Table;

 private:
  TwemproxyHash(TwemproxyHashSpec spec, std::shared_ptr<const Table> all)
      : spec_(std::move(spec)), all_(std::move(all)) {}
  std::uint32_t dispatch(const Table& t, std::string_view key) const noexcept;

  TwemproxyHashSpec spec_;
  std::shared_ptr<const Table> all_;
  mutable std::mutex mu_;
  mutable std::map<std::vector<bool>, std::shared_ptr<const Table>> by_live_;  // guarded by mu_
};

}  // namespace mcrelay
