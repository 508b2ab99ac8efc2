#include "routes/warm_up_route.hpp"

#include <ctime>

#include "protocol/lease_translation.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr WarmUpRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "WarmUpRoute", {"cold", "warm", "exptime", "enable_metaget"});
  auto cold = f.build(f.require(j, "cold", path), path + ".cold");
  auto warm = f.build(f.require(j, "warm", path), path + ".warm");
  std::optional<std::uint32_t> exptime;
  if (j.contains("exptime")) exptime = f.get_uint(j, "exptime", path, 0);
  if (!exptime && !f.get_bool(j, "enable_metaget", path, true)) exptime = 0;
  return std::make_shared<WarmUpRoute>(std::move(cold), std::move(warm), exptime);
}

RequestPtr WarmUpRoute::make_add(const Request& req, const Reply& warm_hit, std::int64_t exptime) const {
  return make_store_request(Op::add, req, warm_hit.flags, exptime, warm_hit.value);
}

void WarmUpRoute::cold_exptime(const Request& req, UniqueFunction<void(std::optional<std::int64_t>)> fn) {
  if (exptime_) {
    fn(std::int64_t{*exptime_});
    return;
  }
  auto meta = make_request_for(Op::metaget, req);
  warm_->route(meta, [fn = std::move(fn)](Reply&& r) mutable {
    if (r.result != Result::found) {
      fn(std::nullopt);
      return;
    }
    if (r.exptime == 0) {  // never expires
      fn(std::int64_t{0});
      return;
    }
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    if (now >= r.exptime) {
      fn(std::nullopt);  // expired on warm meanwhile: nothing to copy
      return;
    }
    fn(r.exptime - now);
  });
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
        RequestPtr add = self->make_add(*r, warm_reply, 0);
        self->cold_exptime(*r, [self, add](std::optional<std::int64_t> exptime) {
          if (!exptime) return;
          add->exptime = *exptime;
          self->cold_->route(add, ignore_reply());
        });
      }
      done(std::move(warm_reply));
    });
    return;
  }
  // gets / gat / gats / mg: a plain get from warm; on a hit, add to cold, then ask cold again.
  auto get = make_request_for(Op::get, *r);
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
    const bool touches = p->req->op == Op::gat || p->req->op == Op::gats;
    const std::int64_t own_exptime = p->req->exptime;
    RequestPtr add = self->make_add(*p->req, warm_reply, 0);
    UniqueFunction<void(std::optional<std::int64_t>)> add_then_ask_cold =
        [self, add, p = std::move(p)](std::optional<std::int64_t> exptime) mutable {
          if (!exptime) {
            p->done(std::move(p->cold_reply));
            return;
          }
          add->exptime = *exptime;
          self->cold_->route(add, [self, p = std::move(p)](Reply&&) mutable {
            RequestPtr again = p->req;
            self->cold_->route(again, std::move(p->done));
          });
        };
    if (touches) {
      add_then_ask_cold(own_exptime);  // gat/gats set the TTL themselves
    } else {
      self->cold_exptime(*add, std::move(add_then_ask_cold));
    }
  });
}

void WarmUpRoute::on_lease_get_miss(const RequestPtr& req, ReplyFn done, Reply&& cold_reply) {
  if (cold_reply.result == Result::not_found && cold_reply.cas == kHotMissToken) {
    done(std::move(cold_reply));  // someone else holds cold's lease and will fill it
    return;
  }
  auto get = make_request_for(Op::get, *req);
  auto cold = std::make_unique<Reply>(std::move(cold_reply));
  warm_->route(get, [self = shared_from_this(), req, cold = std::move(cold), done = std::move(done)](
                        Reply&& warm_reply) mutable {
    if (!is_hit_result(warm_reply.result)) {
      done(std::move(*cold));
      return;
    }
    RequestPtr set = self->make_add(*req, warm_reply, 0);
    set->op = Op::lease_set;
    set->cas_unique = cold->cas;
    Reply hit(Result::found);
    hit.flags = warm_reply.flags;
    hit.value = std::move(warm_reply.value);
    // As mcrouter: with no exptime to copy (the warm item expired), cold's lease goes back to the client.
    self->cold_exptime(*req, [self, set, cold = std::move(cold), hit = std::move(hit),
                              done = std::move(done)](std::optional<std::int64_t> exptime) mutable {
      if (!exptime) {
        done(std::move(*cold));
        return;
      }
      if (cold->result == Result::not_found && cold->cas > kHotMissToken) {
        set->exptime = *exptime;
        self->cold_->route(set, ignore_reply());
      }
      done(std::move(hit));
    });
  });
}

void WarmUpRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  cold_->collect_destinations(req, out);
  if (op_kind(req.op) == OpKind::get) warm_->collect_destinations(req, out);
}

}  // namespace mcrelay
