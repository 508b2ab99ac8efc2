#pragma once
// KeyBucketizer: mcrouter's key buckets (McBucketRoute), the `bucketize` option of a PoolRoute:
//   {"type": "PoolRoute", "pool": "A", "hash": "WeightedCh3", "bucketize": true, "total_buckets": 1000,
//    "bucketization_keyspace": "main", "total_buckets_by_prefix": {"user:": 10}}
// Each routing key is put in one of `total_buckets` buckets, bucket = Ch3(routing key, total_buckets)
// (furc_hash), and the pool then places the BUCKET, hashing its decimal digits ("28") with the pool's hash
// function instead of the key: every key of a bucket lives on the same server. A key that starts with a
// prefix of `total_buckets_by_prefix` (the longest one that matches) is first given a sub-bucket
// s = Ch3(key, buckets of that prefix), and its bucket is Ch3(prefix + decimal(s), total_buckets): all keys
// of the prefix share those few buckets (mcrouter's co-location).
//
// Contract: parse() runs at config load (PoolRoute::build, on the thread building the tree) and throws
// ConfigError through the factory; bucket() is pure, const and thread-safe (worker threads).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcrelay {

class RouteFactory;

class KeyBucketizer {
 public:
  // `prefixes`: (prefix, buckets) pairs; 1 <= buckets <= total_buckets <= kFurcMaxPoolSize.
  KeyBucketizer(std::uint32_t total_buckets, std::vector<std::pair<std::string, std::uint32_t>> prefixes,
                std::string keyspace = {});

  // The PoolRoute object `j`'s bucketize options: nullopt unless "bucketize" is true. Like mcrouter, it
  // then needs "total_buckets" (1..8388608, Ch3's limit) and "bucketization_keyspace" (a string, a label
  // only); "total_buckets_by_prefix" is optional. "bucketize_until" (older mcrouter) is accepted, ignored
  // as current mcrouter ignores it. With "bucketize" false or absent the other keys are not read (mcrouter).
  static std::optional<KeyBucketizer> parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::uint32_t bucket(std::string_view routing_key) const;
  std::uint32_t total_buckets() const noexcept { return total_; }
  const std::string& keyspace() const noexcept { return keyspace_; }

 private:
  std::uint32_t total_;
  std::vector<std::pair<std::string, std::uint32_t>> prefixes_;  // longest prefix first
  std::string keyspace_;
};

}  // namespace mcrelay
