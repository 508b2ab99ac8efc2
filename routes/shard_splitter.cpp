#include "routes/shard_splitter.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

ShardSplitter ShardSplitter::parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) {
    f.fail(path, fmt::format("expected an object mapping shard ids to split counts, got {}", config::describe_json(j)));
  }
  std::map<std::string, std::size_t, std::less<>> splits;
  for (const auto& [shard, value] : j.items()) {
    const std::string at = config::json_path_key(path, shard);
    if (value.is_object()) {
      f.fail(at, "the timed form of a shard split {\"old_split_size\", \"new_split_size\", ...} is not supported; "
                 "give the split count");
    }
    const bool positive = value.is_number_unsigned()  ? value.get<std::uint64_t>() > 0
                          : value.is_number_integer() ? value.get<std::int64_t>() > 0
                                                      : false;
    if (!positive) {
      f.warn(at, fmt::format("shard split ignored, as older mcrouter releases ignore it: the split count must be "
                             "a positive integer, got {}",
                             config::describe_json(value)));
      continue;
    }
    // Compared as unsigned: a count past INT64_MAX is still just "too many".
    std::size_t count = value.get<std::uint64_t>() > kMaxSplits ? kMaxSplits + 1
                                                                : static_cast<std::size_t>(value.get<std::uint64_t>());
    if (count > kMaxSplits) {
      f.warn(at, fmt::format("split count {} capped at {}, as mcrouter caps it", value.dump(), kMaxSplits));
      count = kMaxSplits;
    }
    if (count > 1) splits.emplace(shard, count);
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

std::size_t ShardSplitter::split_count(std::string_view routing_key, std::string_view* shard) const {
  if (splits_.empty()) return 1;
  const auto id = shard_id(routing_key);
  if (!id) return 1;
  const auto it = splits_.find(*id);
  if (it == splits_.end()) return 1;
  if (shard) *shard = *id;
  return it->second;
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
