#pragma once
// HashFunction: picks the server index for a key, the way mcrouter's pools do (hash_func "Ch3",
// "WeightedCh3", "Crc32", "ConstShard"), or twemproxy's ketama as an option ("Ketama").
//
// Contract: built by the route factory when a pool is configured, then called by route handles on worker
// threads. Instances are immutable after construction: index() and size() are pure, thread-safe and never
// allocate on the common path. The caller passes the exact bytes to hash: the routing key (routing prefix
// stripped, cut at the first "|#|") with the pool's salt already appended (see hashing.md).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mcrelay {

class HashFunction {
 public:
  virtual ~HashFunction() = default;

  // Index in [0, size()) for the bytes to hash (routing key, salt already appended by the caller).
  virtual std::uint32_t index(std::string_view key) const noexcept = 0;

  // Number of servers (n).
  virtual std::uint32_t size() const noexcept = 0;
};

// name: "Ch3", "WeightedCh3", "Crc32", "ConstShard" (mcrouter's names, case-sensitive like mcrouter), or
// "Ketama" for twemproxy's ketama.
// n: number of servers; 1 <= n, and n <= 8388608 for the Ch3 family (Ch3, WeightedCh3, ConstShard).
// weights: WeightedCh3: per-server weights in [0, 1] (missing ones 0.5, extra ones ignored).
//          Ketama: twemproxy server weights, whole numbers in [0, 1000000] (missing ones 1, extra ones
//          ignored), not all 0. Ignored by the other hashes.
// server_ids: Ketama only, exactly n of them: twemproxy's server ids (see ketama_server_id()).
// Returns nullptr and sets *error (when error is non-null) for an unknown name or bad arguments.
std::unique_ptr<HashFunction> make_hash_function(std::string_view name, std::uint32_t n,
                                                 const std::vector<double>& weights,
                                                 const std::vector<std::string>& server_ids, std::string* error);

}  // namespace mcrelay
