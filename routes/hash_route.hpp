#pragma once
// HashRoute {children, hash_func, salt}: sends each request to the one child its routing key hashes to.
// "hash_func": "Latest" (mcrouter's) builds a LatestRoute over the children instead (routes/latest_route.hpp;
// the LatestRoute keys are read from the HashRoute object); "LoadBalancer" a LoadBalancerRoute (its keys
// likewise).
// Built by RouteFactory; route() runs on a worker thread.
#include <nlohmann/json.hpp>

#include "routes/hash_selector.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class HashRoute : public RouteHandle {
 public:
  HashRoute(std::vector<RouteHandlePtr> children, HashSelector selector)
      : children_(std::move(children)), selector_(std::move(selector)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "HashRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  const std::vector<RouteHandlePtr>& children() const noexcept { return children_; }
  // The child index the key hashes to (mcrouter's "selected index", which failover policies read).
  std::uint32_t selected_index(const Request& req) const { return selector_.select(req); }

 protected:
  std::vector<RouteHandlePtr> children_;
  HashSelector selector_;
};

// Reads "hash_func"/"salt" (or an object {"hash_func", "salt", "weights"}) and makes the selector for `n`
// children; `weights` and `server_ids` feed WeightedCh3 and Ketama.
HashSelector make_hash_selector(RouteFactory& f, const nlohmann::json& hash_spec, const std::string& path,
                                std::uint32_t n, const std::vector<double>& weights,
                                const std::vector<std::string>& server_ids, std::string_view default_func);

}  // namespace mcrelay
