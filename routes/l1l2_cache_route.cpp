#include "routes/l1l2_cache_route.hpp"

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr L1L2CacheRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "L1L2CacheRoute", {"l1", "l2", "upgradingL1Exptime", "ncacheExptime", "ncacheUpdatePeriod"});
  f.require(j, "upgradingL1Exptime", path);
  auto upgrade = f.get_uint(j, "upgradingL1Exptime", path, 0);
  auto ncache_exptime = f.get_uint(j, "ncacheExptime", path, 0);
  auto period = f.get_uint(j, "ncacheUpdatePeriod", path, 0);
  auto l1 = f.build(f.require(j, "l1", path), path + ".l1");
  auto l2 = f.build(f.require(j, "l2", path), path + ".l2");
  return std::make_shared<L1L2CacheRoute>(std::move(l1), std::move(l2), upgrade, ncache_exptime, period);
}

RequestPtr L1L2CacheRoute::l1_update(const Request& req, Op op, const Reply& l2_hit) const {
  return make_store_request(op, req, l2_hit.flags, upgrade_exptime_, l2_hit.value);
}

RequestPtr L1L2CacheRoute::l1_ncache(const Request& req, Op op) const {
  return make_store_request(op, req, kNegativeCacheFlag, ncache_exptime_, std::string(kNegativeCacheValue));
}

void L1L2CacheRoute::refresh_ncache(const RequestPtr& req) {
  RequestPtr r = req;
  l2_->route(r, [self = shared_from_this(), r](Reply&& l2_reply) {
    RequestPtr set = is_hit_result(l2_reply.result) ? self->l1_update(*r, Op::set, l2_reply)
                                                     : self->l1_ncache(*r, Op::set);  // bump the entry's TTL
    self->l1_->route(set, ignore_reply());
  });
}

void L1L2CacheRoute::route(const RequestPtr& req, ReplyFn done) {
  if (req->op != Op::get) {
    l1_->route(req, std::move(done));
    return;
  }
  RequestPtr r = req;
  l1_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& l1_reply) mutable {
    if (is_hit_result(l1_reply.result)) {
      if ((l1_reply.flags & kNegativeCacheFlag) == 0) {
        done(std::move(l1_reply));
        return;
      }
      if (self->ncache_period_ != 0) {
        if (self->ncache_counter_ == 1) {
          self->ncache_counter_ = self->ncache_period_;
          self->refresh_ncache(r);
        } else {
          --self->ncache_counter_;
        }
      }
      done(default_reply(r->op));  // a negative-cache entry reads as a miss
      return;
    }
    self->l2_->route(r, [self, r, done = std::move(done)](Reply&& l2_reply) mutable {
      if (is_hit_result(l2_reply.result)) {
        self->l1_->route(self->l1_update(*r, Op::add, l2_reply), ignore_reply());
      } else if (l2_reply.result == Result::not_found && self->ncache_period_ != 0) {
        self->l1_->route(self->l1_ncache(*r, Op::add), ignore_reply());
      }
      done(std::move(l2_reply));
    });
  });
}

void L1L2CacheRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  l1_->collect_destinations(req, out);
  if (req.op == Op::get) l2_->collect_destinations(req, out);
}

}  // namespace mcrelay
