#include "routes/shard_splitter.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

bool is_positive_integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() > 0;
  return v.is_number_integer() && v.get<std::int64_t>() > 0;
}

// A positive count, capped at kMaxSplits with a warning (compared as unsigned: a count past INT64_MAX is just
// "too many").
std::size_t capped(const RouteFactory& f, const nlohmann::json& v, const std::string& at) {
  const auto n = v.get<std::uint64_t>();
  if (n <= ShardSplitter::kMaxSplits) return static_cast<std::size_t>(n);
  f.warn(at, fmt::format("split count {} capped at {}, as mcrouter caps it", v.dump(), ShardSplitter::kMaxSplits));
  return ShardSplitter::kMaxSplits;
}

std::size_t timed_size(const RouteFactory& f, const nlohmann::json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) return 1;
  const std::string at = config::json_path_key(path, key);
  if (!is_positive_integer(*it)) f.fail(at, fmt::format("expected a positive integer, got {}", config::describe_json(*it)));
  return capped(f, *it, at);
}

std::int64_t timed_seconds(const RouteFactory& f, const nlohmann::json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<std::int64_t>() < 0) ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX / 1000000000))) {
    f.fail(config::json_path_key(path, key),
           fmt::format("expected a non-negative integer (seconds), got {}", config::describe_json(*it)));
  }
  return it->get<std::int64_t>();
}

}  // namespace

std::size_t ShardSplitter::Split::size_for_host(std::chrono::system_clock::time_point now,
                                                std::uint32_t host) const noexcept {
  if (!migrating) return new_size;
  if (now < start) return old_size;
  if (now > start + std::chrono::duration_cast<std::chrono::system_clock::duration>(period)) return new_size;
  const double point = std::chrono::duration<double>(now - start).count() / period.count();
  const double mine = static_cast<double>(host % kHostIdModulo) / kHostIdModulo;
  return mine < point ? new_size : old_size;
}

ShardSplitter ShardSplitter::parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                   std::chrono::system_clock::time_point now) {
  if (!j.is_object()) {
    f.fail(path, fmt::format("expected an object mapping shard ids to split counts, got {}", config::describe_json(j)));
  }
  std::map<std::string, Split, std::less<>> splits;
  for (const auto& [shard, value] : j.items()) {
    const std::string at = config::json_path_key(path, shard);
    Split split;
    if (value.is_object()) {
      check_keys(f, value, at, "a timed shard split",
                 {"old_split_size", "new_split_size", "split_start", "migration_period", "fanout_deletes"});
      split.old_size = timed_size(f, value, "old_split_size", at);
      split.new_size = timed_size(f, value, "new_split_size", at);
      split.start = std::chrono::system_clock::time_point(std::chrono::seconds(timed_seconds(f, value, "split_start", at)));
      split.period = std::chrono::duration<double>(static_cast<double>(timed_seconds(f, value, "migration_period", at)));
      split.fanout_deletes = f.get_bool(value, "fanout_deletes", at, false);
      // As mcrouter: a split whose migration is over (or that changes nothing) is a plain one.
      split.migrating = !(now > split.start + std::chrono::duration_cast<std::chrono::system_clock::duration>(split.period) ||
                          split.new_size == split.old_size);
      if (!split.migrating && split.new_size == 1) continue;
    } else {
      if (!is_positive_integer(value)) {
        f.warn(at, fmt::format("shard split ignored, as older mcrouter releases ignore it: the split count must be "
                               "a positive integer, got {}",
                               config::describe_json(value)));
        continue;
      }
      split.old_size = split.new_size = capped(f, value, at);
      if (split.new_size == 1) continue;
    }
    splits.emplace(shard, split);
  }
  return ShardSplitter(std::move(splits));
}

std::optional<std::string_view> ShardSplitter::shard_id(std::string_view key) noexcept {
  const std::size_t first = key.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = key.find(':', first + 1);
  if (second == std::string_view::npos || second == first + 1) return std::nullopt;
  const char last = key[second - 1];
  if (last < '0' || last > '9') return std::nullopt;
  return key.substr(first + 1, second - first - 1);
}

const ShardSplitter::Split* ShardSplitter::find(std::string_view routing_key, std::string_view* shard) const {
  if (splits_.empty()) return nullptr;
  const auto id = shard_id(routing_key);
  if (!id) return nullptr;
  const auto it = splits_.find(*id);
  if (it == splits_.end()) return nullptr;
  if (shard) *shard = *id;
  return &it->second;
}

std::string ShardSplitter::split_key(std::string_view full_key, std::size_t shard_end, std::size_t copy) {
  std::string out;
  out.reserve(full_key.size() + 2);
  out.append(full_key.substr(0, shard_end));
  out.push_back(static_cast<char>('a' + (copy - 1) % 26));
  out.push_back(static_cast<char>('a' + (copy - 1) / 26));
  out.append(full_key.substr(shard_end));
  return out;
}

}  // namespace mcrelay
