#include "routes/pool_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/destination_route.hpp"
#include "routes/hash/ketama_hash.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// mcrouter PoolRoute keys that mcrelay accepts and ignores (type-checked as mcrouter checks them, nothing at
// run time):
//   asynclog: bool, whether mcrouter spools this pool's failed deletes. mcrelay's spool is --async-dir, for
//             every pool alike.
//   rates:    object, a per-pool rate limit that mcrouter applies only with --destination-rate-limiting (off
//             by default).
void check_ignored_keys(const RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  f.get_bool(j, "asynclog", path, true);
  if (auto it = j.find("rates"); it != j.end() && !it->is_object()) {
    f.fail(path + ".rates", fmt::format("expected an object, got {}", config::describe_json(*it)));
  }
}

}  // namespace

RouteHandlePtr PoolRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (j.contains("shadows")) {
    f.fail(path + ".shadows", "shadow traffic is not supported yet (remove \"shadows\" or use an AllAsyncRoute)");
  }
  if (j.contains("shard_splits")) {
    f.fail(path + ".shard_splits", "shard splits are not supported (they change which server a key goes to)");
  }
  check_keys(f, j, path, "PoolRoute", {"pool", "hash", "asynclog", "rates"});
  check_ignored_keys(f, j, path);
  const auto& pool_spec = f.require(j, "pool", path);
  if (!pool_spec.is_string()) f.fail(path + ".pool", "expected the name of a pool");
  const auto& pool = f.pool(pool_spec.get_ref<const std::string&>(), path + ".pool");
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
  // mcrouter: a pool with weights hashes with WeightedCh3 unless told otherwise.
  std::string_view default_func = pool.weights.empty() ? "Ch3" : "WeightedCh3";
  auto selector = make_hash_selector(f, spec, path + ".hash", static_cast<std::uint32_t>(destinations.size()),
                                     pool.weights, ids, default_func);
  bool eject = false;
  if (auto it = pool.raw.find("eject_down_servers"); it != pool.raw.end()) {
    if (!it->is_boolean()) f.fail(pool.json_path + ".eject_down_servers", "expected true or false");
    eject = it->get<bool>();
  }
  return std::make_shared<PoolRoute>(pool.name, std::move(destinations), std::move(selector), eject);
}

PoolRoute::PoolRoute(std::string pool_name, std::vector<RouteHandlePtr> destinations, HashSelector selector,
                     bool eject_down_servers)
    : HashRoute(std::move(destinations), std::move(selector)), pool_name_(std::move(pool_name)),
      eject_(eject_down_servers) {
  for (const auto& c : children_) dests_.push_back(&static_cast<DestinationRoute&>(*c).destination());
}

std::uint32_t PoolRoute::pick(const Request& req) const {
  std::uint32_t idx = selector_.select(req);
  if (!eject_ || dests_[idx]->available()) return idx;
  // Bounded: with every server down, the key stays where it hashes (and fails fast there).
  for (unsigned attempt = 1; attempt <= 2 * dests_.size() + 8; ++attempt) {
    std::uint32_t alt = selector_.select(req, attempt);
    if (dests_[alt]->available()) return alt;
  }
  return idx;
}

void PoolRoute::route(const RequestPtr& req, ReplyFn done) { children_[pick(*req)]->route(req, std::move(done)); }

void PoolRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  children_[pick(req)]->collect_destinations(req, out);
}

}  // namespace mcrelay
