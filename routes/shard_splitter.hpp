#pragma once
// ShardSplitter: mcrouter's "shard_splits" table (a PoolRoute option): shards whose keys are spread over
// several copies of the shard, and the keys of those copies.
//
// Contract: parse() runs at config load, on the thread building the tree, and throws ConfigError through
// RouteFactory::fail (warnings through RouteFactory::warn); the lookups are pure, never throw (beyond
// std::bad_alloc) and are used on the worker threads by ShardSplitRoute (routes/shard_split_route.hpp).
//
// Keys and shards (mcrouter's getShardId): a key "prefix:<shard>:rest" carries the shard id between its
// first and second ':' when the character before the second ':' is a digit ("user:123:name" -> "123";
// "user:123aa:name" has none, so a split copy's key is never split again). The id is read from the routing
// key (routing prefix removed).
//
// JSON: "shard_splits": {"<shard id>": <count> | {timed split}, ...}.
//   - <count>: the shard has `count` copies; deletes go to every copy. 1 leaves the shard alone; above
//     mcrouter's maximum (26 * 26 + 1 = 677) it is capped at 677 with a warning; a count that is not a
//     positive integer is ignored with a warning (as older mcrouter releases did: mcrouter's own test config
//     has "2": -1).
//   - {"old_split_size": 1, "new_split_size": 1, "split_start": 0, "migration_period": 0,
//      "fanout_deletes": false} (mcrouter's timed split, every key optional, defaults shown): the shard
//     moves from old_split_size copies to new_split_size copies over migration_period seconds starting at
//     split_start (Unix seconds). Before the start every host uses the old count, after the end the new one;
//     in between a host uses the new count once (host_id % 16384) / 16384 is below the elapsed fraction of
//     the period, so hosts switch one by one. Deletes go to every copy only with fanout_deletes. Sizes must
//     be positive integers (above 677: capped, with a warning); the times non-negative integers.
//
// Split copies (mcrouter's createSplitKey): copy i (1 .. count-1) of a key is the full key with two letters
// inserted right after the shard id: 'a' + (i-1) % 26, then 'a' + (i-1) / 26. Copy 0 is the key itself.
// So with "1": 3, "a:1:x" has copies "a:1:x", "a:1aa:x", "a:1ba:x".
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcrelay {

class RouteFactory;

class ShardSplitter {
 public:
  static constexpr std::size_t kMaxSplits = 26 * 26 + 1;
  static constexpr std::uint32_t kHostIdModulo = 16384;  // mcrouter's granularity of a timed split

  // One shard's split.
  struct Split {
    std::size_t old_size = 1;
    std::size_t new_size = 1;
    std::chrono::system_clock::time_point start{};
    std::chrono::duration<double> period{0};
    bool fanout_deletes = true;
    bool migrating = false;  // a timed split still in progress when the config was loaded

    // The number of copies the host with this id uses at `now`.
    std::size_t size_for_host(std::chrono::system_clock::time_point now, std::uint32_t host) const noexcept;
  };

  ShardSplitter() = default;
  explicit ShardSplitter(std::map<std::string, Split, std::less<>> splits) : splits_(std::move(splits)) {}

  // `j` is the value of "shard_splits" at `path`. `now` decides whether a timed split is already over.
  static ShardSplitter parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path,
                             std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  // The shard id of `key` (a view into it), or nullopt.
  static std::optional<std::string_view> shard_id(std::string_view key) noexcept;

  // The split of the shard of `routing_key`, or nullptr; `*shard` is set to its shard id (a view into
  // routing_key) when there is one.
  const Split* find(std::string_view routing_key, std::string_view* shard) const;

  // Copy `copy` (>= 1) of `full_key`, where the shard id ends `shard_end` bytes into `full_key`.
  static std::string split_key(std::string_view full_key, std::size_t shard_end, std::size_t copy);

  bool empty() const noexcept { return splits_.empty(); }

 private:
  std::map<std::string, Split, std::less<>> splits_;
};

}  // namespace mcrelay
