#pragma once
// RandomRoute {children}: each request goes to one child picked at random.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and hands `done` to the chosen child (no merging, no state to keep alive).
// The random generator is per handle, i.e. per worker tree: no locking.
//
// Semantics (mcrouter's): a uniformly random child per request, its reply returned as is. Broadcasts
// (flush_all) go to every child, worst reply wins. Introspection lists every child (any may be chosen).
// mcrelay extension: "seed" (unsigned integer) makes the sequence reproducible (tests). An empty children
// list builds a NullRoute.
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class RandomRoute final : public RouteHandle, public std::enable_shared_from_this<RandomRoute> {
 public:
  RandomRoute(std::vector<RouteHandlePtr> children, std::uint64_t seed)
      : children_(std::move(children)), state_(seed) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "RandomRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  std::size_t next_index() noexcept;

  std::vector<RouteHandlePtr> children_;
  std::uint64_t state_;
};

}  // namespace mcrelay
