#include "routes/key_bucketizer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

KeyBucketizer::KeyBucketizer(std::uint32_t total_buckets,
                             std::vector<std::pair<std::string, std::uint32_t>> prefixes, std::string keyspace)
    : total_(total_buckets), prefixes_(std::move(prefixes)), keyspace_(std::move(keyspace)) {
  // Longest first, so the first match is the longest matching prefix (mcrouter's LowerBoundPrefixMap).
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::uint32_t KeyBucketizer::bucket(std::string_view key) const {
  for (const auto& [prefix, buckets] : prefixes_) {
    if (!key.starts_with(prefix)) continue;
    thread_local std::string buf;  // no allocation per request once grown
    buf.assign(prefix);
    fmt::format_to(std::back_inserter(buf), "{}", furc_hash(key, buckets));
    return furc_hash(buf, total_);
  }
  return furc_hash(key, total_);
}

std::optional<KeyBucketizer> KeyBucketizer::parse(const RouteFactory& f, const nlohmann::json& j,
                                                  const std::string& path) {
  if (!f.get_bool(j, "bucketize", path, false)) return std::nullopt;
  auto total_it = j.find("total_buckets");
  if (total_it == j.end()) f.fail(path, "\"bucketize\": true needs \"total_buckets\" (the number of key buckets)");
  const std::string total_path = path + ".total_buckets";
  if (!total_it->is_number_integer() || total_it->get<std::int64_t>() < 1 ||
      total_it->get<std::int64_t>() > static_cast<std::int64_t>(kFurcMaxPoolSize)) {
    f.fail(total_path, fmt::format("expected an integer in [1, {}], got {}", kFurcMaxPoolSize,
                                   config::describe_json(*total_it)));
  }
  const auto total = static_cast<std::uint32_t>(total_it->get<std::int64_t>());
  auto keyspace_it = j.find("bucketization_keyspace");
  if (keyspace_it == j.end() || !keyspace_it->is_string()) {
    f.fail(path, "\"bucketize\": true needs \"bucketization_keyspace\" (a string naming the bucket space)");
  }
  if (auto until = j.find("bucketize_until"); until != j.end() && !until->is_number_integer()) {
    f.fail(path + ".bucketize_until", fmt::format("expected an integer, got {}", config::describe_json(*until)));
  }
  std::vector<std::pair<std::string, std::uint32_t>> prefixes;
  if (auto by_prefix = j.find("total_buckets_by_prefix"); by_prefix != j.end()) {
    const std::string where = path + ".total_buckets_by_prefix";
    if (!by_prefix->is_object()) {
      f.fail(where, fmt::format("expected an object {{\"prefix\": buckets, ...}}, got {}", config::describe_json(*by_prefix)));
    }
    for (const auto& [prefix, n] : by_prefix->items()) {
      if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > total) {
        f.fail(where + "." + prefix,
               fmt::format("bucket count should be in range (0, {}], got {}", total, config::describe_json(n)));
      }
      prefixes.emplace_back(prefix, static_cast<std::uint32_t>(n.get<std::int64_t>()));
    }
  }
  return KeyBucketizer(total, std::move(prefixes), keyspace_it->get<std::string>());
}

}  // namespace mcrelay
