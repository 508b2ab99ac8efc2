#include "routes/pool_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/destination_route.hpp"
#include "routes/hash/ketama_hash.hpp"
#include "util/spooky_hash.hpp"
#include "routes/pool_route_wrappers.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"
#include "routes/shard_split_route.hpp"

namespace mcrelay {

namespace {

// mcrouter PoolRoute keys that mcrelay accepts and ignores (type-checked as mcrouter checks them, nothing at
// run time):
//   asynclog:      bool, whether mcrouter spools this pool's failed deletes. mcrelay's spool is --async-dir,
//                  for every pool alike.
//   asynclog_name: string, the name of that spool.
//   pool_id:       string, the name under which mcrouter registers the pool for its service-routing lookups.
//   axonlog:       bool; false is mcrouter's default. true (log to Facebook's Axon) is refused.
void check_ignored_keys(const RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  f.get_bool(j, "asynclog", path, true);
  f.get_string(j, "asynclog_name", path);
  f.get_string(j, "pool_id", path);
  if (f.get_bool(j, "axonlog", path, false)) {
    f.fail(path + ".axonlog", "AxonLogRoute is not supported: it logs to Axon, a Facebook-internal service");
  }
}

// The hash function the pool uses: "hash" as a name or as {"hash_func": ...}, else the default.
std::string hash_func_name(const nlohmann::json& spec, std::string_view default_func) {
  if (spec.is_string()) return spec.get<std::string>();
  if (spec.is_object()) {
    if (auto it = spec.find("hash_func"); it != spec.end() && it->is_string()) return it->get<std::string>();
  }
  return std::string(default_func);
}

// shard_splits (routes/shard_split_route.hpp): in front of the pool and its wrappers, as mcrouter puts its
// ShardSplitRoute.
RouteHandlePtr wrap_shard_splits(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                 RouteHandlePtr route) {
  if (auto it = j.find("shard_splits"); it != j.end()) {
    auto splitter = ShardSplitter::parse(f, *it, path + ".shard_splits");
    if (!splitter.empty()) route = std::make_shared<ShardSplitRoute>(std::move(route), std::move(splitter));
  }
  return route;
}

}  // namespace

RouteHandlePtr PoolRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "PoolRoute",
             {"pool", "hash", "asynclog", "asynclog_name", "pool_id", "axonlog", "rates", "shadows",
              "shadow_policy", "slow_warmup", "bucketize", "total_buckets", "bucketization_keyspace",
              "total_buckets_by_prefix", "bucketize_until", "shard_splits"});
  check_ignored_keys(f, j, path);
  // mcrouter's open-source build knows one shadow policy, "default" (the same request to the shadow).
  if (auto policy = f.get_string(j, "shadow_policy", path, "default"); policy != "default") {
    f.fail(path + ".shadow_policy", fmt::format("invalid shadow policy \"{}\" (mcrouter knows only \"default\")", policy));
  }
  const auto& pool_spec = f.require(j, "pool", path);
  const auto& pool = f.pool_spec(pool_spec, path + ".pool");  // a name or an inline pool
  auto destinations = f.pool_destinations(pool);
  // Ketama (twemproxy migrations) names servers the way twemproxy does: "host" alone on port 11211.
  std::vector<std::string> ids;
  for (const auto& s : pool.servers) {
    try {
      ids.push_back(ketama_server_id(s.host, s.port));
    } catch (const std::exception& e) {
      f.fail(pool.json_path + ".servers", e.what());
    }
  }
  nlohmann::json spec = nlohmann::json::object();
  if (auto it = j.find("hash"); it != j.end()) spec = *it;
  // mcrouter: the pool's "tags" (Rendezvous hashes) go under the PoolRoute's hash, which may override them.
  if (auto tags = pool.raw.find("tags"); tags != pool.raw.end()) {
    if (spec.is_string()) spec = nlohmann::json{{"hash_func", spec}};
    if (spec.is_object() && !spec.contains("tags")) spec["tags"] = *tags;
  }
  // mcrouter: a pool with weights hashes with WeightedCh3 unless told otherwise.
  std::string_view default_func = pool.weights.empty() ? "Ch3" : "WeightedCh3";
  const std::string func = hash_func_name(spec, default_func);
  auto bucketizer = KeyBucketizer::parse(f, j, path);
  if (func == "Latest" || func == "LoadBalancer") {
    if (bucketizer && destinations.size() > 1) {
      f.fail(path + ".bucketize", fmt::format("bucketize needs a WeightedCh3 hash, not {}", func));
    }
    // mcrouter hands the merged hash object to the route: the pool's weights, then the "hash" keys.
    nlohmann::json merged = nlohmann::json::object();
    if (auto w = pool.raw.find("weights"); w != pool.raw.end()) merged["weights"] = *w;
    if (spec.is_object()) {
      for (const auto& [key, value] : spec.items()) merged[key] = value;
    } else {
      merged["hash_func"] = spec;
    }
    wrap_slow_warmup(f, j, path, destinations);
    return wrap_shard_splits(
        f, j, path, wrap_rates(f, j, path, build_selection_pool(f, j, path, func, merged, std::move(destinations))));
  }
  // mcrouter buckets keys only for WeightedCh3 pools (its other hashes refuse; a pool of one server has no
  // hash at all).
  if (bucketizer && destinations.size() > 1 && func != "WeightedCh3" && func != "WeightedCh3Rv") {
    f.fail(path + ".bucketize", fmt::format("bucketization is not implemented for hash function {} (only "
                                            "WeightedCh3 and WeightedCh3Rv, as in mcrouter)", func));
  }
  auto selector = make_hash_selector(f, spec, path + ".hash", static_cast<std::uint32_t>(destinations.size()),
                                     pool.weights, ids, default_func);
  bool eject = false;
  if (auto it = pool.raw.find("eject_down_servers"); it != pool.raw.end()) {
    if (!it->is_boolean()) f.fail(pool.json_path + ".eject_down_servers", "expected true or false");
    eject = it->get<bool>();
  }
  auto shadows = build_shadows(f, j, path, static_cast<std::uint32_t>(destinations.size()));
  auto pool_route = std::make_shared<PoolRoute>(pool.name, std::move(destinations), std::move(selector), eject,
                                                std::move(shadows), std::move(bucketizer));
  wrap_slow_warmup(f, j, path, pool_route->children_);  // after dests_ was taken from the bare servers
  return wrap_shard_splits(f, j, path, wrap_rates(f, j, path, std::move(pool_route)));
}

// PoolRoute::build_shadows is in routes/pool_route_shadows.cpp.

PoolRoute::PoolRoute(std::string pool_name, std::vector<RouteHandlePtr> destinations, HashSelector selector,
                     bool eject_down_servers, std::vector<Shadow> shadows,
                     std::optional<KeyBucketizer> bucketizer)
    : HashRoute(std::move(destinations), std::move(selector)), pool_name_(std::move(pool_name)),
      shadows_(std::move(shadows)), bucketizer_(std::move(bucketizer)), eject_(eject_down_servers) {
  for (const auto& c : children_) dests_.push_back(&static_cast<DestinationRoute&>(*c).destination());
}

std::uint32_t PoolRoute::pick(const Request& req) const {
  if (eject_ && selector_.ejects_like_twemproxy()) {
    // twemproxy's auto_eject_hosts: while any server is down, the pool's distribution is rebuilt over the
    // servers that are up, for every key (modula then moves keys of live servers too, as twemproxy does).
    thread_local std::vector<bool> live;
    live.assign(dests_.size(), false);
    bool all_up = true;
    for (std::size_t i = 0; i < dests_.size(); ++i) {
      live[i] = dests_[i]->available();
      all_up = all_up && live[i];
    }
    return all_up ? selector_.select(req) : selector_.select_live(req, live);
  }
  // A bucketized pool hashes the decimal digits of the key's bucket instead of the key (mcrouter's
  // BucketHashSelector); everything else (salt, ejection) is the same.
  char digits[16];
  std::string_view key = req.routing_key();
  if (bucketizer_) {
    auto end = fmt::format_to_n(digits, sizeof(digits), "{}", bucketizer_->bucket(key)).out;
    key = std::string_view(digits, static_cast<std::size_t>(end - digits));
  }
  std::uint32_t idx = selector_.select_key(key);
  if (!eject_ || dests_[idx]->available()) return idx;
  // Bounded: with every server down, the key stays where it hashes (and fails fast there).
  for (unsigned attempt = 1; attempt <= 2 * dests_.size() + 8; ++attempt) {
    std::uint32_t alt = selector_.select_key(key, attempt);
    if (dests_[alt]->available()) return alt;
  }
  return idx;
}

template <typename Fn>
void PoolRoute::for_each_shadow(const Request& req, std::uint32_t index, Fn&& fn) const {
  bool hashed = false;
  std::uint32_t h = 0;
  for (const auto& s : shadows_) {
    if (index < s.index_begin || index >= s.index_end) continue;
    if (!hashed) {  // hashed once, and only for a request that some shadow's index range takes
      std::string_view key = req.routing_key();
      h = spooky_hash_v2_32(key.data(), key.size(), 0);
      hashed = true;
    }
    if (h >= s.key_lo && h <= s.key_hi) fn(*s.target);
  }
}

void PoolRoute::route(const RequestPtr& req, ReplyFn done) {
  std::uint32_t idx = pick(*req);
  if (!shadows_.empty()) {
    // Requests are immutable, so the shadow shares this one; its reply is dropped.
    for_each_shadow(*req, idx, [&](RouteHandle& target) { target.route(req, ignore_reply()); });
  }
  children_[idx]->route(req, std::move(done));
}

void PoolRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  std::uint32_t idx = pick(req);
  children_[idx]->collect_destinations(req, out);
  for_each_shadow(req, idx, [&](RouteHandle& target) { target.collect_destinations(req, out); });
}

}  // namespace mcrelay
