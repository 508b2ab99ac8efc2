#include "routes/shadow_route.hpp"

#include <fmt/format.h>

#include "util/spooky_hash.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

std::vector<RouteHandlePtr> ShadowedRoute::build_list(RouteFactory& f, const nlohmann::json& j,
                                                      const std::string& path) {
  if (!j.is_object()) f.fail(path, "ShadowRoute should be an object");
  check_keys(f, j, path, "ShadowRoute", {"children", "shadows", "shadow_policy"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  const std::string policy = f.get_string(j, "shadow_policy", path, "default");
  if (policy != "default") {
    f.fail(path + ".shadow_policy", fmt::format("only the \"default\" shadow policy is supported, got \"{}\"", policy));
  }
  auto shadows = PoolRoute::build_shadows(f, j, path, static_cast<std::uint32_t>(children.size()));
  if (shadows.empty()) return children;
  for (std::size_t i = 0; i < children.size(); ++i) {
    std::vector<PoolRoute::Shadow> mine;
    for (const auto& s : shadows) {
      if (s.index_begin <= i && i < s.index_end) mine.push_back(s);
    }
    if (!mine.empty()) {
      children[i] = std::make_shared<ShadowedRoute>(std::move(children[i]), static_cast<std::uint32_t>(i),
                                                    std::move(mine));
    }
  }
  return children;
}

template <typename Fn>
void ShadowedRoute::for_each_shadow(const Request& req, Fn&& fn) const {
  std::string_view key = req.routing_key();
  const std::uint32_t h = spooky_hash_v2_32(key.data(), key.size(), 0);  // as PoolRoute's shadows
  for (const auto& s : shadows_) {
    if (h >= s.key_lo && h <= s.key_hi) fn(*s.target);
  }
}

void ShadowedRoute::route(const RequestPtr& req, ReplyFn done) {
  for_each_shadow(*req, [&](RouteHandle& target) { target.route(req, ignore_reply()); });
  child_->route(req, std::move(done));
}

void ShadowedRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  child_->collect_destinations(req, out);
  for_each_shadow(req, [&](RouteHandle& target) { target.collect_destinations(req, out); });
}

}  // namespace mcrelay
