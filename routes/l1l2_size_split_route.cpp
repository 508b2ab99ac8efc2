#include "routes/l1l2_size_split_route.hpp"

#include "routes/failover_errors.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr L1L2SizeSplitRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "L1L2SizeSplitRoute",
             {"l1", "l2", "threshold", "ttl_threshold", "failure_ttl", "both_full_set", "bothFullSet", "retries"});
  f.require(j, "threshold", path);
  Options opts;
  opts.threshold = static_cast<std::uint64_t>(get_int(f, j, "threshold", path, 0, 0, INT64_MAX));
  opts.ttl_threshold = get_int(f, j, "ttl_threshold", path, 0, 0, INT32_MAX);
  get_int(f, j, "failure_ttl", path, 60, 1, INT32_MAX);  // lease-set's fallback TTL in mcrouter
  get_int(f, j, "retries", path, 1, 1, 10);               // gets/lease-get retries in mcrouter
  // mcrouter's factory reads the camelCase "bothFullSet"; the snake_case spelling is accepted too.
  opts.both_full_set = f.get_bool(j, j.contains("bothFullSet") ? "bothFullSet" : "both_full_set", path, false);
  auto l1 = f.build(f.require(j, "l1", path), path + ".l1");
  auto l2 = f.build(f.require(j, "l2", path), path + ".l2");
  return std::make_shared<L1L2SizeSplitRoute>(std::move(l1), std::move(l2), opts);
}

bool L1L2SizeSplitRoute::set_goes_to_l1(const Request& req) const noexcept {
  return opts_.threshold == 0 || req.value.size() < opts_.threshold ||
         (opts_.ttl_threshold != 0 && req.exptime < opts_.ttl_threshold) ||
         req.key.size() + kExtraKeySpace > kMaxKeyLength;
}

void L1L2SizeSplitRoute::route(const RequestPtr& req, ReplyFn done) {
  if (req->op == Op::set) return route_set(req, std::move(done));
  if (req->op == Op::get) return route_get(req, std::move(done));
  l1_->route(req, std::move(done));
}

void L1L2SizeSplitRoute::route_set(const RequestPtr& req, ReplyFn done) {
  RequestPtr r = req;
  if (set_goes_to_l1(*r)) {
    l1_->route(r, std::move(done));
    return;
  }
  if (opts_.both_full_set) {
    l1_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& l1_reply) mutable {
      if (l1_reply.result == Result::stored) self->l2_->route(r, ignore_reply());
      done(std::move(l1_reply));
    });
    return;
  }
  // l2 first, so that a reader never finds a sentinel whose data is not there yet.
  l2_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& l2_reply) mutable {
    if (l2_reply.result != Result::stored) {
      done(std::move(l2_reply));
      return;
    }
    RequestPtr sentinel = r->clone();
    sentinel->value.clear();
    sentinel->flags |= kSizeSplitFlag;
    self->l1_->route(sentinel, std::move(done));
  });
}

void L1L2SizeSplitRoute::delete_sentinel(const Request& req) { l1_->route(make_keyed_request(Op::delete_, req.key), ignore_reply()); }

void L1L2SizeSplitRoute::route_get(const RequestPtr& req, ReplyFn done) {
  RequestPtr r = req;
  l1_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& l1_reply) mutable {
    if (!is_hit_result(l1_reply.result) || (l1_reply.flags & kSizeSplitFlag) == 0) {
      done(std::move(l1_reply));
      return;
    }
    if (l1_reply.value.empty()) {  // the full item is in l2 under the same key
      self->l2_->route(r, std::move(done));
      return;
    }
    RequestPtr l2_get = make_keyed_request(Op::get, r->key + std::string(kHashAlias) + l1_reply.value);
    self->l2_->route(l2_get, [self, r, done = std::move(done)](Reply&& l2_reply) mutable {
      if (is_hit_result(l2_reply.result)) {
        Reply out(Result::found);
        out.flags = l2_reply.flags;
        out.value = std::move(l2_reply.value);
        done(std::move(out));
        return;
      }
      if (is_error(l2_reply.result)) {
        if (is_failover_error(l2_reply.result)) self->delete_sentinel(*r);
        done(std::move(l2_reply));
        return;
      }
      self->delete_sentinel(*r);
      done(Reply::error(Result::local_error, "L1L2SizeSplitRoute: l2 lost the item"));
    });
  });
}

void L1L2SizeSplitRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  l1_->collect_destinations(req, out);
  if (req.op == Op::get || (req.op == Op::set && !set_goes_to_l1(req))) l2_->collect_destinations(req, out);
}

}  // namespace mcrelay
