#include "routes/miss_failover_route.hpp"

#include "routes/fan_out.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr MissFailoverRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "MissFailoverRoute", {"children", "return_best_on_error"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  bool best = f.get_bool(j, "return_best_on_error", path, false);
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<MissFailoverRoute>(std::move(children), best);
}

bool MissFailoverRoute::fails_over(Op op) noexcept {
  auto kind = op_kind(op);
  return kind == OpKind::get || kind == OpKind::del;
}

void MissFailoverRoute::route(const RequestPtr& req, ReplyFn done) {
  if (!fails_over(req->op) || children_.size() == 1) {
    children_[0]->route(req, std::move(done));
    return;
  }
  auto a = make_ref<Attempt>();
  a->req = req;
  a->done = std::move(done);
  send(a);
}

void MissFailoverRoute::send(const Ref<Attempt>& a) {
  RequestPtr req = a->req;
  RouteHandlePtr child = children_[a->index];
  child->route(req, [self = shared_from_this(), a](Reply&& r) { self->on_reply(a, std::move(r)); });
}

void MissFailoverRoute::on_reply(const Ref<Attempt>& a, Reply&& r) {
  bool last = a->index + 1 == children_.size();
  if (is_hit_result(r.result)) {
    ReplyFn done = std::move(a->done);
    done(std::move(r));
    return;
  }
  // Not a hit: remember what to answer if nobody hits.
  if (!return_best_on_error_ || !a->have_best || reply_severity(r.result) < reply_severity(a->best.result)) {
    a->best = std::move(r);
    a->have_best = true;
  }
  if (last) {
    ReplyFn done = std::move(a->done);
    done(std::move(a->best));
    return;
  }
  ++a->index;
  send(a);
}

void MissFailoverRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  auto self = shared_from_this();
  RequestPtr r = req;
  fan_out(children_, r, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void MissFailoverRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (!fails_over(req.op)) {
    children_[0]->collect_destinations(req, out);
    return;
  }
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
