#pragma once
// PoolRoute {pool, hash: {hash_func, salt, weights}}: a HashRoute over the servers of one pool, the route
// almost every mcrouter config uses. Built by RouteFactory; route() runs on a worker thread.
// mcrouter's `asynclog` (bool) and `rates` (object) are type-checked and ignored; `shadows` and
// `shard_splits` are refused with a reason; any other key is an "unknown key" error.
#include "routes/destination.hpp"
#include "routes/hash_route.hpp"

namespace mcrelay {

//
// With the pool option "eject_down_servers": true (twemproxy's auto_eject_hosts), a key whose server is
// down (TKO) is rehashed over the live servers until one is up; keys of live servers never move, and the
// ejected server's keys come back to it when it recovers.
class PoolRoute final : public HashRoute {
 public:
  PoolRoute(std::string pool_name, std::vector<RouteHandlePtr> destinations, HashSelector selector,
            bool eject_down_servers);

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "PoolRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;
  const std::string& pool_name() const noexcept { return pool_name_; }

 private:
  std::uint32_t pick(const Request& req) const;

  std::string pool_name_;
  bool eject_;
  std::vector<Destination*> dests_;  // children_[i]'s destination
};

}  // namespace mcrelay
