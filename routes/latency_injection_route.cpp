#include "routes/latency_injection_route.hpp"

#include <memory>

#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

using std::chrono::milliseconds;

RouteHandlePtr LatencyInjectionRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "LatencyInjectionRoute needs an object with \"child\"");
  check_keys(f, j, path, "LatencyInjectionRoute",
             {"child", "before_latency_ms", "after_latency_ms", "total_latency_ms", "request_payload_latency",
              "max_request_latency_us"});
  auto child = f.build(f.require(j, "child", path), path + ".child");
  if (!j.contains("before_latency_ms") && !j.contains("after_latency_ms") && !j.contains("total_latency_ms") &&
      !j.contains("request_payload_latency")) {
    f.fail(path, "LatencyInjectionRoute must specify either 'before_latency_ms', 'after_latency_ms', "
                 "'total_latency_ms' or 'request_payload_latency'");
  }
  const milliseconds before(get_int(f, j, "before_latency_ms", path, 0, 0, INT32_MAX));
  const milliseconds after(get_int(f, j, "after_latency_ms", path, 0, 0, INT32_MAX));
  const milliseconds total(get_int(f, j, "total_latency_ms", path, 0, 0, INT32_MAX));
  f.get_bool(j, "request_payload_latency", path, false);  // Carbon request fields: none in memcached's protocol
  get_int(f, j, "max_request_latency_us", path, 0, 0, INT64_MAX);
  if (before.count() == 0 && after.count() == 0 && total.count() == 0) return child;
  return std::make_shared<LatencyInjectionRoute>(std::move(child), f.timer(), before, after, total);
}

void LatencyInjectionRoute::route(const RequestPtr& req, ReplyFn done) {
  if (timer_ == nullptr) {
    child_->route(req, std::move(done));
    return;
  }
  const auto start = timer_->now();
  if (before_.count() > 0) {
    timer_->run_after(before_, [self = shared_from_this(), req, done = std::move(done), start]() mutable {
      self->send(req, std::move(done), start);
    });
    return;
  }
  send(req, std::move(done), start);
}

void LatencyInjectionRoute::send(const RequestPtr& req, ReplyFn done, std::chrono::steady_clock::time_point start) {
  child_->route(req, [self = shared_from_this(), done = std::move(done), start](Reply&& r) mutable {
    if (self->after_.count() > 0) {
      // The reply waits in a shared slot: UniqueFunction needs a callable it can move, Reply is movable.
      auto reply = std::make_shared<Reply>(std::move(r));
      self->timer_->run_after(self->after_, [self, reply, done = std::move(done), start]() mutable {
        self->finish(std::move(*reply), std::move(done), start);
      });
      return;
    }
    self->finish(std::move(r), std::move(done), start);
  });
}

void LatencyInjectionRoute::finish(Reply&& reply, ReplyFn done, std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::duration_cast<milliseconds>(timer_->now() - start);
  if (total_ > elapsed) {
    auto slot = std::make_shared<Reply>(std::move(reply));
    timer_->run_after(total_ - elapsed, [slot, done = std::move(done)]() mutable { done(std::move(*slot)); });
    return;
  }
  done(std::move(reply));
}

}  // namespace mcrelay
