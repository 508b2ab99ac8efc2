#include "routes/prefix_selector_route.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/fan_out.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

PrefixSelectorRoute::PrefixSelectorRoute(std::vector<std::pair<std::string, RouteHandlePtr>> policies,
                                         RouteHandlePtr wildcard)
    : policies_(std::move(policies)), wildcard_(std::move(wildcard)) {
  std::stable_sort(policies_.begin(), policies_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  auto add = [this](const RouteHandlePtr& r) {
    if (r && std::find(all_.begin(), all_.end(), r) == all_.end()) all_.push_back(r);
  };
  for (const auto& [_, r] : policies_) add(r);
  add(wildcard_);
}

RouteHandlePtr PrefixSelectorRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "PrefixSelectorRoute", {"policies", "wildcard"});
  auto policies_it = j.find("policies");
  auto wildcard_it = j.find("wildcard");
  if (policies_it == j.end() && wildcard_it == j.end()) {
    f.fail(path, "PrefixSelectorRoute needs \"policies\" or \"wildcard\"");
  }
  std::vector<std::pair<std::string, RouteHandlePtr>> policies;
  if (policies_it != j.end()) {
    std::string where = path + ".policies";
    if (!policies_it->is_object()) {
      f.fail(where, fmt::format("expected an object {{\"key prefix\": route}}, got {}",
                                config::describe_json(*policies_it)));
    }
    // In key order, like mcrouter (named handles resolve the same way).
    for (const auto& [prefix, spec] : policies_it->items()) {
      policies.emplace_back(prefix, f.build(spec, config::json_path_key(where, prefix)));
    }
  }
  RouteHandlePtr wildcard;
  if (wildcard_it != j.end()) wildcard = f.build(*wildcard_it, path + ".wildcard");
  return std::make_shared<PrefixSelectorRoute>(std::move(policies), std::move(wildcard));
}

const RouteHandlePtr& PrefixSelectorRoute::select(std::string_view routing_key) const noexcept {
  for (const auto& [prefix, r] : policies_) {
    if (routing_key.starts_with(prefix)) return r;
  }
  return wildcard_;
}

void PrefixSelectorRoute::route(const RequestPtr& req, ReplyFn done) {
  if (const auto& r = select(req->routing_key())) {
    r->route(req, std::move(done));
    return;
  }
  done(Reply::error(Result::local_error, "no route for key"));
}

void PrefixSelectorRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  auto self = shared_from_this();
  RequestPtr r = req;
  fan_out(all_, r, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void PrefixSelectorRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (const auto& r = select(req.routing_key())) r->collect_destinations(req, out);
}

}  // namespace mcrelay
