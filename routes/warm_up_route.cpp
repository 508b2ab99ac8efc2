#include "routes/warm_up_route.hpp"

#include "proxy/protocol/lease_translation.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr WarmUpRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "WarmUpRoute", {"cold", "warm", "exptime"});
  auto cold = f.build(f.require(j, "cold", path), path + ".cold");
  auto warm = f.build(f.require(j, "warm", path), path + ".warm");
  std::uint32_t exptime = f.get_uint(j, "exptime", path, 0);
  return std::make_shared<WarmUpRoute>(std::move(cold), std::move(warm), exptime);
}

RequestPtr WarmUpRoute::make_add(const Request& req, const Reply& warm_hit, std::int64_t exptime) const {
  auto add = make_ref<Request>();
  add->op = Op::add;
  add->key = req.key;
  add->prefix_len = req.prefix_len;
  add->flags = warm_hit.flags;
  add->exptime = exptime;
  add->value = warm_hit.value;
  return add;
}

void WarmUpRoute::route(const RequestPtr& req, ReplyFn done) {
  if (op_kind(req->op) != OpKind::get) {
    cold_->route(req, std::move(done));
    return;
  }
  RequestPtr r = req;
  cold_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& cold_reply) mutable {
    if (is_hit_result(cold_reply.result)) {
      done(std::move(cold_reply));
      return;
    }
    self->on_cold_miss(r, std::move(done), std::move(cold_reply));
  });
}

void WarmUpRoute::on_cold_miss(const RequestPtr& req, ReplyFn done, Reply&& cold_reply) {
  RequestPtr r = req;
  if (r->op == Op::lease_get) {
    on_lease_get_miss(r, std::move(done), std::move(cold_reply));
    return;
  }
  if (r->op == Op::me || r->op == Op::metaget || (r->op == Op::mg && r->base64_key)) {
    warm_->route(r, std::move(done));
    return;
  }
  if (r->op == Op::get) {
    warm_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& warm_reply) mutable {
      if (is_hit_result(warm_reply.result)) {
        RequestPtr add = self->make_add(*r, warm_reply, self->exptime_);
        self->cold_->route(add, ignore_reply());
      }
      done(std::move(warm_reply));
    });
    return;
  }
  // gets / gat / gats / mg: a plain get from warm; on a hit, add to cold, then ask cold again.
  auto get = make_ref<Request>();
  get->op = Op::get;
  get->key = r->key;
  get->prefix_len = r->prefix_len;
  struct Pending {
    RequestPtr req;
    ReplyFn done;
    Reply cold_reply;
  };
  auto pending = std::make_unique<Pending>(Pending{r, std::move(done), std::move(cold_reply)});
  warm_->route(get, [self = shared_from_this(), p = std::move(pending)](Reply&& warm_reply) mutable {
    if (!is_hit_result(warm_reply.result)) {
      p->done(std::move(p->cold_reply));
      return;
    }
    bool touches = p->req->op == Op::gat || p->req->op == Op::gats;
    std::int64_t exptime = touches ? p->req->exptime : std::int64_t{self->exptime_};
    RequestPtr add = self->make_add(*p->req, warm_reply, exptime);
    self->cold_->route(add, [self, p = std::move(p)](Reply&&) mutable {
      RequestPtr again = p->req;
      self->cold_->route(again, std::move(p->done));
    });
  });
}

void WarmUpRoute::on_lease_get_miss(const RequestPtr& req, ReplyFn done, Reply&& cold_reply) {
  if (cold_reply.result == Result::not_found && cold_reply.cas == kHotMissToken) {
    done(std::move(cold_reply));  // someone else holds cold's lease and will fill it
    return;
  }
  auto get = make_ref<Request>();
  get->op = Op::get;
  get->key = req->key;
  get->prefix_len = req->prefix_len;
  auto cold = std::make_unique<Reply>(std::move(cold_reply));
  warm_->route(get, [self = shared_from_this(), req, cold = std::move(cold), done = std::move(done)](
                        Reply&& warm_reply) mutable {
    if (!is_hit_result(warm_reply.result)) {
      done(std::move(*cold));
      return;
    }
    if (cold->result == Result::not_found && cold->cas > kHotMissToken) {
      RequestPtr set = self->make_add(*req, warm_reply, self->exptime_);
      set->op = Op::lease_set;
      set->cas_unique = cold->cas;
      self->cold_->route(set, ignore_reply());
    }
    Reply hit(Result::found);
    hit.flags = warm_reply.flags;
    hit.value = std::move(warm_reply.value);
    done(std::move(hit));
  });
}

void WarmUpRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  cold_->collect_destinations(req, out);
  if (op_kind(req.op) == OpKind::get) warm_->collect_destinations(req, out);
}

}  // namespace mcrelay
