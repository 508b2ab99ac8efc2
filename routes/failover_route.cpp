#include "routes/failover_route.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/fan_out.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

FailoverRoute::FailoverRoute(std::vector<RouteHandlePtr> children, Options opts)
    : children_(std::move(children)), opts_(std::move(opts)),
      tries_(std::min(children_.size(), opts_.max_tries)) {}

FailoverRoute::Options FailoverRoute::parse_options(RouteFactory& f, const nlohmann::json& j,
                                                    const std::string& path) {
  Options opts;
  if (auto it = j.find("failover_errors"); it != j.end()) {
    opts.errors = FailoverErrors::parse(f, *it, path + ".failover_errors");
  }
  if (auto it = j.find("failover_limit"); it != j.end()) {
    opts.limiter = FailoverRateLimiter::parse(f, *it, path + ".failover_limit");
  }
  if (auto it = j.find("failover_policy"); it != j.end()) {
    std::string where = path + ".failover_policy";
    if (!it->is_object()) f.fail(where, fmt::format("expected an object, got {}", config::describe_json(*it)));
    for (const auto& [key, _] : it->items()) {
      if (key != "type" && key != "max_tries") {
        f.fail(where, fmt::format("unknown key {} (mcrelay supports: type, max_tries)",
                                  config::describe_json(nlohmann::json(key))));
      }
    }
    std::string type = f.get_string(*it, "type", where, "FailoverInOrderPolicy");
    if (type != "FailoverInOrderPolicy") {
      f.fail(where + ".type", fmt::format("failover policy \"{}\" is not supported (mcrelay has "
                                          "\"FailoverInOrderPolicy\" only)",
                                          type));
    }
    std::uint32_t max_tries = f.get_uint(*it, "max_tries", where, 0);
    if (it->contains("max_tries") && max_tries == 0) f.fail(where + ".max_tries", "must be at least 1");
    if (max_tries != 0) opts.max_tries = max_tries;
  }
  // Type checks only. mcrouter's failover_tag is a bool (tag failed-over requests for stats); mcrelay has
  // no such tagging. A string was never valid in mcrouter, so it is refused: "expected true or false".
  f.get_bool(j, "failover_tag", path, false);
  f.get_bool(j, "enable_lease_pairing", path, false);  // no lease commands here
  return opts;
}

RouteHandlePtr FailoverRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "FailoverRoute",
             {"children", "failover_errors", "failover_limit", "failover_policy", "failover_tag",
              "enable_lease_pairing"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  Options opts = parse_options(f, j, path);
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<FailoverRoute>(std::move(children), std::move(opts));
}

void FailoverRoute::route(const RequestPtr& req, ReplyFn done) {
  if (opts_.limiter) opts_.limiter->on_request();
  auto a = make_ref<Attempt>();
  a->req = req;
  a->done = std::move(done);
  send(a);
}

void FailoverRoute::send(const Ref<Attempt>& a) {
  // Local copies: the child may answer synchronously, and the answer may release `a`.
  RequestPtr req = a->req;
  RouteHandlePtr child = children_[a->index];
  child->route(req, [self = shared_from_this(), a](Reply&& r) { self->on_reply(a, std::move(r)); });
}

void FailoverRoute::on_reply(const Ref<Attempt>& a, Reply&& r) {
  bool failover = a->index + 1 < tries_ && opts_.errors.should_failover(a->req->op, r.result);
  if (failover && a->index == 0 && opts_.limiter && r.result != Result::tko) {
    failover = opts_.limiter->failover_allowed();
  }
  if (failover) {
    ++a->index;
    send(a);
    return;
  }
  ReplyFn done = std::move(a->done);
  done(std::move(r));
}

void FailoverRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  auto self = shared_from_this();  // a synchronous answer may drop the tree while we loop
  RequestPtr r = req;
  fan_out(children_, r, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void FailoverRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (std::size_t i = 0; i < tries_; ++i) children_[i]->collect_destinations(req, out);
}

}  // namespace mcrelay
