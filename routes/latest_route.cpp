#include "routes/latest_route.hpp"

#include <unistd.h>

#include <climits>
#include <random>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/fan_out.hpp"
#include "config/json_path.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Stands in for mcrouter's host id: the same on every thread and across reloads of one proxy host.
std::uint64_t host_seed() {
  static const std::uint64_t seed = [] {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return std::uint64_t{0};
    return fnv1a(name);
  }();
  return seed;
}

}  // namespace

std::vector<std::size_t> LatestRoute::pick(std::uint64_t seed, std::vector<double> weights, std::size_t count) {
  std::vector<std::size_t> ids(weights.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  std::vector<std::size_t> out;
  std::uint64_t state = seed;
  count = std::min(count, ids.size());
  while (out.size() < count) {
    double total = 0;
    for (double w : weights) total += w;
    std::size_t chosen = 0;
    double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
    if (total > 0) {
      double x = u * total;
      chosen = weights.size() - 1;
      for (std::size_t i = 0; i < weights.size(); ++i) {
        if (x < weights[i]) {
          chosen = i;
          break;
        }
        x -= weights[i];
      }
      while (weights[chosen] <= 0 && chosen > 0) --chosen;  // rounding at the end of the range
    } else {
      chosen = static_cast<std::size_t>(u * static_cast<double>(weights.size()));
    }
    out.push_back(ids[chosen]);
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(chosen));
    weights.erase(weights.begin() + static_cast<std::ptrdiff_t>(chosen));
  }
  return out;
}

RouteHandlePtr LatestRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "LatestRoute",
             {"children", "failover_count", "weights", "salt", "thread_local_failover", "seed", "failover_errors",
              "failover_limit", "failover_policy", "failover_tag", "enable_lease_pairing"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  return build_over(f, j, path, std::move(children));
}

RouteHandlePtr LatestRoute::build_over(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                       std::vector<RouteHandlePtr> children) {
  std::uint32_t count = f.get_uint(j, "failover_count", path, 5);
  if (count == 0) f.fail(path + ".failover_count", "must be at least 1");
  std::vector<double> weights(children.size(), 1.0);
  if (auto it = j.find("weights"); it != j.end()) {
    std::string where = path + ".weights";
    if (!it->is_array()) f.fail(where, fmt::format("expected a list of numbers, got {}", config::describe_json(*it)));
    for (std::size_t i = 0; i < weights.size(); ++i) {
      weights[i] = 0.5;  // mcrouter: missing weights are 0.5
      if (i >= it->size()) continue;
      const auto& w = (*it)[i];
      if (!w.is_number() || w.get<double>() < 0) {
        f.fail(config::json_path_index(where, i), fmt::format("expected a number >= 0, got {}", config::describe_json(w)));
      }
      weights[i] = w.get<double>();
    }
  }
  std::string salt = f.get_string(j, "salt", path);
  bool per_thread = f.get_bool(j, "thread_local_failover", path, false);
  std::uint64_t seed = host_seed();
  if (!salt.empty()) seed = fnv1a(salt, seed);
  if (per_thread) seed ^= (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) {
      f.fail(path + ".seed", fmt::format("expected a non-negative integer, got {}", config::describe_json(j["seed"])));
    }
    seed = j["seed"].get<std::uint64_t>();
  }
  auto opts = FailoverRoute::parse_options(f, j, path);
  if (children.empty()) return std::make_shared<NullRoute>();
  std::vector<RouteHandlePtr> chosen;
  for (std::size_t i : pick(seed, std::move(weights), count)) chosen.push_back(children[i]);
  return std::make_shared<LatestRoute>(std::make_shared<FailoverRoute>(std::move(chosen), std::move(opts)),
                                       std::move(children));
}

void LatestRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  fan_out(all_, req, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

}  // namespace mcrelay
