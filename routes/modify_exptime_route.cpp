#include "routes/modify_exptime_route.hpp"

#include <charconv>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr ModifyExptimeRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "ModifyExptimeRoute", {"target", "exptime", "action"});
  auto target = f.build(f.require(j, "target", path), path + ".target");
  f.require(j, "exptime", path);
  std::int64_t exptime = get_int(f, j, "exptime", path, 0, INT32_MIN, INT32_MAX);
  std::string action = f.get_string(j, "action", path, "set");
  Action a = Action::set;
  if (action == "min") {
    a = Action::min;
  } else if (action != "set") {
    f.fail(path + ".action", fmt::format("expected \"set\" or \"min\", got {}", config::describe_json(j["action"])));
  }
  return std::make_shared<ModifyExptimeRoute>(std::move(target), exptime, a);
}

std::optional<std::int64_t> ModifyExptimeRoute::new_exptime(std::int64_t current) const noexcept {
  if (action_ == Action::min) {
    // 0 means "never expires": anything finite is smaller.
    if (exptime_ == 0) return std::nullopt;
    if (current != 0 && current <= exptime_) return std::nullopt;
  } else if (current == exptime_) {
    return std::nullopt;
  }
  return exptime_;
}

RequestPtr ModifyExptimeRoute::rewrite(const RequestPtr& req) const {
  if (req->op == Op::ms || req->op == Op::mg || req->op == Op::ma) return rewrite_meta(req);
  if (!has_exptime(req->op)) return req;
  auto next = new_exptime(req->exptime);
  if (!next) return req;
  RequestPtr copy = clone_request(*req);
  copy->exptime = *next;
  return copy;
}

// A meta request carries its TTL in flags: ms's T (absent: 0, never expires); mg's and ma's T (touch) and N
// (vivify on miss) when present. md and mn have none.
RequestPtr ModifyExptimeRoute::rewrite_meta(const RequestPtr& req) const {
  std::string flags;
  bool changed = false;
  bool has_t = false;
  std::string_view rest = req->args;
  while (!rest.empty()) {
    std::size_t end = rest.find(' ');
    std::string_view tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (tok.empty()) continue;
    if (tok[0] == 'T') has_t = true;
    if (!flags.empty()) flags.push_back(' ');
    std::optional<std::int64_t> next;
    if (tok[0] == 'T' || (tok[0] == 'N' && req->op != Op::ms)) {
      std::int64_t ttl = 0;
      auto [p, ec] = std::from_chars(tok.data() + 1, tok.data() + tok.size(), ttl);
      if (ec == std::errc() && p == tok.data() + tok.size()) next = new_exptime(ttl);
    }
    if (next) {
      flags += fmt::format("{}{}", tok[0], *next);
      changed = true;
    } else {
      flags.append(tok);  // not a TTL, or one memcached will refuse as it stands: left for it to judge
    }
  }
  if (req->op == Op::ms && !has_t) {
    if (auto next = new_exptime(0)) {
      if (!flags.empty()) flags.push_back(' ');
      flags += fmt::format("T{}", *next);
      changed = true;
    }
  }
  if (!changed) return req;
  RequestPtr copy = clone_request(*req);
  copy->args = std::move(flags);
  return copy;
}

void ModifyExptimeRoute::route(const RequestPtr& req, ReplyFn done) {
  RequestPtr r = rewrite(req);
  target_->route(r, std::move(done));
}

}  // namespace mcrelay
