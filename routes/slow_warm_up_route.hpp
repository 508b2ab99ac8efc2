#pragma once
// SlowWarmUpRoute: mcrouter's `slow_warmup` PoolRoute option, one per server of the pool:
//   {"type": "PoolRoute", "pool": "A",
//    "slow_warmup": {"failoverTarget": "PoolRoute|B",
//                    "settings": {"enable_threshold": 0.7, "disable_threshold": 0.9,
//                                 "start": 0.1, "step": 1.0, "min_requests": 100}}}
// Each server's hits (get hit, deleted, touched) and misses (NOT_FOUND) are counted. Once it has answered
// `min_requests` of them, a server whose hit rate drops below `enable_threshold` is "warming up" until its
// hit rate reaches `disable_threshold`. While a server warms up, each get-like request (get, gets, gat,
// gats, lease-get, metaget, mg, me) is sent to it with probability start + step * hit_rate, and otherwise to
// `failoverTarget` straight away (a cold server is not asked for what it cannot have yet). Other requests
// always go to the server. Defaults are mcrouter's (above); with "settings" given, enable_threshold and
// disable_threshold are required, both in [0, 1] with enable < disable; start in (0, 1); step in (0, 100);
// min_requests an integer > 0.
//
// Contract: built by PoolRoute::build at config load (parse_settings throws ConfigError); route() runs on
// the owning worker thread, never throws, calls `done` exactly once. Counters belong to one worker's tree
// (per worker thread, like mcrouter's per-proxy trees) and start at zero on each config (re)load. They are
// shared with the pending reply callbacks, so replies arriving after a reload are safe.
#include <cstdint>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

struct SlowWarmUpSettings {
  double enable_threshold = 0.7;
  double disable_threshold = 0.9;
  double start = 0.1;
  double step = 1.0;
  std::uint64_t min_requests = 100;

  // `j` is the "settings" object (path: its JSON path).
  static SlowWarmUpSettings parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path);
};

class SlowWarmUpRoute final : public RouteHandle {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1)

  SlowWarmUpRoute(RouteHandlePtr target, RouteHandlePtr failover_target,
                  std::shared_ptr<const SlowWarmUpSettings> settings, Random random = default_random);

  static double default_random();

  std::string_view type() const noexcept override { return "SlowWarmUpRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { target_->broadcast(req, std::move(done)); }
  // Both the server and the failover target, as mcrouter's traverse() reports them.
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  // The server's hit rate as the route sees it (1.0 until min_requests replies were counted).
  double hit_rate() const noexcept;
  bool warming_up() const noexcept { return stats_->warming; }

 private:
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    bool warming = false;
  };
  bool update_warming() noexcept;  // mcrouter's warmingUp(): re-evaluates the state with hysteresis

  RouteHandlePtr target_;
  RouteHandlePtr failover_;
  std::shared_ptr<const SlowWarmUpSettings> settings_;
  Random random_;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
};

}  // namespace mcrelay
