#include "routes/migrate_route.hpp"

#include <ctime>

#include "routes/fan_out.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

MigrateRoute::MigrateRoute(RouteHandlePtr from, RouteHandlePtr to, std::int64_t start_time, std::int64_t interval,
                           Clock now)
    : from_(std::move(from)), to_(std::move(to)), start_(start_time), interval_(interval), now_(std::move(now)) {
  if (!now_) now_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

RouteHandlePtr MigrateRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "MigrateRoute", {"from", "to", "start_time", "interval"});
  f.require(j, "start_time", path);
  // mcrouter reads both as integers (time_t); a negative interval is accepted there too and is harmless.
  auto start = get_int(f, j, "start_time", path, 0, INT64_MIN / 4, INT64_MAX / 4);
  auto interval = get_int(f, j, "interval", path, 3600, INT64_MIN / 4, INT64_MAX / 4);
  auto from = f.build(f.require(j, "from", path), path + ".from");
  auto to = f.build(f.require(j, "to", path), path + ".to");
  return std::make_shared<MigrateRoute>(std::move(from), std::move(to), start, interval);
}

unsigned MigrateRoute::mask(Op op) const {
  const std::int64_t now = now_();
  if (op_kind(op) == OpKind::del) {
    if (now < start_) return kFrom;
    if (now < start_ + 2 * interval_) return kFrom | kTo;
    return kTo;
  }
  return now < start_ + interval_ ? kFrom : kTo;
}

void MigrateRoute::route(const RequestPtr& req, ReplyFn done) {
  switch (mask(req->op)) {
    case kFrom:
      from_->route(req, std::move(done));
      return;
    case kTo:
      to_->route(req, std::move(done));
      return;
    default:
      fan_out({from_, to_}, req, std::move(done), FanOutMerge::worst, /*broadcast=*/false);
  }
}

void MigrateRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  // flush_all is not a delete: it goes where the other operations go in the current phase.
  (mask(req->op) & kFrom ? from_ : to_)->broadcast(req, std::move(done));
}

void MigrateRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  const unsigned m = mask(req.op);
  if (m & kFrom) from_->collect_destinations(req, out);
  if (m & kTo) to_->collect_destinations(req, out);
}

}  // namespace mcrelay
