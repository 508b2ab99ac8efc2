#pragma once
// ShadowRoute {children, shadows, shadow_policy}: mcrouter's standalone shadowing. It stands for the LIST of
// its children (registered with RouteRegistry::add_list), each child i wrapped so that the requests it gets
// are also sent to every shadow whose index_range contains i and whose key_fraction_range contains the
// request's routing key; shadow replies are ignored, the client gets the child's reply.
//
// Contract: built by RouteFactory at config load (build_list() throws ConfigError); ShadowedRoute::route()
// runs on the owning worker thread, never throws, and sends the shadow copies before the child's request.
//
// Options: `shadows` as PoolRoute's (routes/pool_route.hpp: target, index_range over the children,
// key_fraction_range); `shadow_policy`: only "default" (mcrouter's DefaultShadowPolicy: the same request to
// the shadow); a list of routes where one is expected is accepted when it has one child. Without `shadows`
// the children are returned unwrapped.
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/pool_route.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class ShadowedRoute final : public RouteHandle {
 public:
  ShadowedRoute(RouteHandlePtr child, std::uint32_t index, std::vector<PoolRoute::Shadow> shadows)
      : child_(std::move(child)), index_(index), shadows_(std::move(shadows)) {}

  static std::vector<RouteHandlePtr> build_list(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "ShadowRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { child_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  template <typename Fn>
  void for_each_shadow(const Request& req, Fn&& fn) const;

  RouteHandlePtr child_;
  std::uint32_t index_;
  std::vector<PoolRoute::Shadow> shadows_;  // only those whose index range holds index_
};

}  // namespace mcrelay
