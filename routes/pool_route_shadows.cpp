// PoolRoute::build_shadows: the "shadows" list of PoolRoute and of the standalone ShadowRoute (mcrouter's
// makeShadowRoutes / ShadowSettings), at config load on the thread building the tree.
//
// mcrouter drops a shadow it cannot use and logs the failure: a "shadows" value that is not a list, an entry
// that is not an object or has no target, a range it cannot read, a target that cannot be built. mcrelay
// does the same, with a warning naming the shadow (RouteFactory::warn); a misspelt key is still an error
// (the unknown-key policy, routes/route_helpers.hpp).
//
// Runtime variables: "index_range_rv" and "key_fraction_range_rv" name mcrouter runtime variables (from
// --runtime-vars-file) that override the ranges while mcrouter runs. mcrelay has no runtime variables
// (--runtime-vars-file has no effect), so the names are accepted (they must be strings) and the static
// "index_range" / "key_fraction_range" apply: absent, every server index / every key, as in mcrouter.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/pool_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// The reason a shadow is unusable, or nullopt; fills `shadow`'s ranges otherwise.
std::optional<std::string> read_ranges(const nlohmann::json& s, std::uint32_t pool_size, PoolRoute::Shadow& shadow) {
  shadow.index_end = pool_size;
  if (auto r = s.find("index_range"); r != s.end()) {
    if (!r->is_array() || r->size() != 2 || !(*r)[0].is_number_unsigned() || !(*r)[1].is_number_unsigned()) {
      return fmt::format("index_range: expected [first, end) as two non-negative integers, got {}",
                         config::describe_json(*r));
    }
    const auto b = (*r)[0].get<std::uint64_t>();
    const auto e = (*r)[1].get<std::uint64_t>();
    if (b > e) return fmt::format("index_range: [{}, {}) is not a range", b, e);
    // As mcrouter, indexes past the pool simply match no server.
    shadow.index_begin = static_cast<std::uint32_t>(std::min<std::uint64_t>(b, pool_size));
    shadow.index_end = static_cast<std::uint32_t>(std::min<std::uint64_t>(e, pool_size));
  }
  if (auto r = s.find("key_fraction_range"); r != s.end()) {
    if (!r->is_array() || r->size() != 2 || !(*r)[0].is_number() || !(*r)[1].is_number()) {
      return fmt::format("key_fraction_range: expected [low, high] as two numbers, got {}", config::describe_json(*r));
    }
    const double lo = (*r)[0].get<double>();
    const double hi = (*r)[1].get<double>();
    if (!(0 <= lo && lo <= hi && hi <= 1)) {
      return fmt::format("key_fraction_range: need 0 <= low <= high <= 1, got {}", r->dump());
    }
    // As mcrouter scales them: fraction x covers hashes up to x * UINT32_MAX.
    shadow.key_lo = static_cast<std::uint32_t>(lo * UINT32_MAX);
    shadow.key_hi = static_cast<std::uint32_t>(hi * UINT32_MAX);
  }
  for (const char* rv : {"index_range_rv", "key_fraction_range_rv"}) {
    if (auto it = s.find(rv); it != s.end() && !it->is_string()) {
      return fmt::format("{}: expected the name of a runtime variable, got {}", rv, config::describe_json(*it));
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<PoolRoute::Shadow> PoolRoute::build_shadows(RouteFactory& f, const nlohmann::json& j,
                                                        const std::string& path, std::uint32_t pool_size) {
  std::vector<Shadow> out;
  auto it = j.find("shadows");
  if (it == j.end()) return out;
  const std::string where = path + ".shadows";
  auto drop = [&f](const std::string& at, std::string_view why) {
    f.warn(at, fmt::format("shadow ignored, as mcrouter ignores it: {}", why));
  };
  if (!it->is_array()) {
    drop(where, fmt::format("expected a list of shadows, got {}", config::describe_json(*it)));
    return out;
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& s = (*it)[i];
    const std::string at = config::json_path_index(where, i);
    if (!s.is_object()) {
      drop(at, fmt::format("expected an object, got {}", config::describe_json(s)));
      continue;
    }
    // validate_replies is accepted (mcrouter only logs mismatches with it) and ignored.
    check_keys(f, s, at, "a shadow",
               {"target", "index_range", "key_fraction_range", "validate_replies", "index_range_rv",
                "key_fraction_range_rv"});
    f.get_bool(s, "validate_replies", at, false);
    const auto target = s.find("target");
    if (target == s.end()) {
      drop(at, "no \"target\"");
      continue;
    }
    Shadow shadow;
    if (auto why = read_ranges(s, pool_size, shadow)) {
      drop(at, *why);
      continue;
    }
    std::string error;
    shadow.target = f.try_build(*target, at + ".target", &error);
    if (!shadow.target) {
      drop(at, fmt::format("its target cannot be built: {}", error));
      continue;
    }
    out.push_back(std::move(shadow));
  }
  return out;
}

}  // namespace mcrelay
