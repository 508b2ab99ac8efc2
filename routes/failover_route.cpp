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
    : children_(std::move(children)), opts_(std::move(opts)) {}

FailoverRoute::Options FailoverRoute::parse_options(RouteFactory& f, const nlohmann::json& j,
                                                    const std::string& path, std::size_t n_children) {
  Options opts;
  if (auto it = j.find("failover_errors"); it != j.end()) {
    opts.errors = FailoverErrors::parse(f, *it, path + ".failover_errors");
  }
  if (auto it = j.find("failover_limit"); it != j.end()) {
    opts.limiter = FailoverRateLimiter::parse(f, *it, path + ".failover_limit");
  }
  auto policy = FailoverPolicy::parse(f, j, path, n_children);
  if (n_children == 0 && policy.kind() != FailoverPolicy::Kind::in_order) {
    f.fail(path + ".failover_policy", "this route supports FailoverInOrderPolicy only");
  }
  opts.policy = std::make_shared<FailoverPolicy>(std::move(policy));
  // mcrouter's failover_tag is a bool; a string was never valid there, so it is refused.
  opts.failover_tag = f.get_bool(j, "failover_tag", path, false);
  f.get_bool(j, "enable_lease_pairing", path, false);  // no lease pairing here
  return opts;
}

RouteHandlePtr FailoverRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "FailoverRoute",
             {"children", "failover_errors", "failover_limit", "failover_policy", "failover_tag",
              "enable_lease_pairing", "hash", "tags"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  Options opts = parse_options(f, j, path, children.size());
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

RequestPtr FailoverRoute::tagged_for_failover(const RequestPtr& req) {
  constexpr std::string_view kTag = ":failover=1";
  constexpr std::size_t kMaxKeyLength = 250;  // memcached's and mcrouter's MC_KEY_MAX_LEN
  if (req->key.find(kHashStop) == std::string::npos || req->key.size() + kTag.size() > kMaxKeyLength) return req;
  RequestPtr tagged = req->clone();
  tagged->key.append(kTag);
  return tagged;
}

void FailoverRoute::send(const Ref<Attempt>& a) {
  if (a->pos > 0 && opts_.failover_tag && !a->failover_req) a->failover_req = tagged_for_failover(a->req);
  // Local copies: the child may answer synchronously, and the answer may release `a`.
  RequestPtr req = a->pos > 0 && a->failover_req ? a->failover_req : a->req;
  RouteHandlePtr child = children_[a->child()];
  child->route(req, [self = shared_from_this(), a](Reply&& r) { self->on_reply(a, std::move(r)); });
}

void FailoverRoute::on_reply(const Ref<Attempt>& a, Reply&& r) {
  FailoverPolicy& policy = *opts_.policy;
  policy.record(a->child(), r.result);
  auto finish = [&] {
    ReplyFn done = std::move(a->done);
    done(std::move(r));
  };
  if (!opts_.errors.should_failover(a->req->op, r.result)) return finish();
  if (r.result == Result::tko && policy.uses_failure_domains()) {  // mcrouter marks domains on TKO only
    if (auto d = policy.failure_domain(*children_[a->child()], *a->req)) a->failed_domains.push_back(d);
  }
  if (a->pos == 0) {
    a->order = policy.failover_order(*a->req, children_);
    a->limit = std::min(a->order.size(), policy.max_tries() - 1);
  } else if (a->pos >= a->limit) {
    return finish();  // the last child's reply is returned whatever it is
  }
  if (r.result != Result::tko) {  // leaving a TKO destination is free: no token, no try
    if (opts_.limiter && !opts_.limiter->failover_allowed()) return finish();
    if (policy.counts_as_try(r.result)) ++a->error_tries;
  }
  if (a->pos >= a->limit || a->error_tries >= policy.max_error_tries()) return finish();
  ++a->pos;
  if (!a->failed_domains.empty()) skip_failed_domains(*a);
  send(a);
}

void FailoverRoute::skip_failed_domains(Attempt& a) const {
  const std::size_t k = a.pos - 1;
  for (std::size_t j = k; j < a.order.size(); ++j) {
    const std::uint32_t d = opts_.policy->failure_domain(*children_[a.order[j]], *a.req);
    if (std::find(a.failed_domains.begin(), a.failed_domains.end(), d) != a.failed_domains.end()) continue;
    std::rotate(a.order.begin() + static_cast<std::ptrdiff_t>(k), a.order.begin() + static_cast<std::ptrdiff_t>(j),
                a.order.begin() + static_cast<std::ptrdiff_t>(j) + 1);
    return;
  }
  // Every child left is in a failed domain: take the next one anyway (mcrouter's fail-safe).
}

void FailoverRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  auto self = shared_from_this();  // a synchronous answer may drop the tree while we loop
  RequestPtr r = req;
  fan_out(children_, r, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void FailoverRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  children_[0]->collect_destinations(req, out);
  auto order = opts_.policy->failover_order(req, children_);
  order.resize(std::min(order.size(), opts_.policy->max_tries() - 1));  // failure domains: all were listed
  for (std::uint32_t i : order) children_[i]->collect_destinations(req, out);
}

}  // namespace mcrelay
