#pragma once
// OriginalClientHashRoute {children, offset}: sends every request of a client to the same child, chosen by a
// hash of the client's IP address (mcrouter's, which hashes the source IP that --retain-source-ip keeps).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and hands `done` to the chosen child unchanged.
//
// Semantics: child (client_ip_hash + offset) % children, where client_ip_hash (protocol/request.hpp)
// is FNV-1a 64 of the IP address text. mcrelay always knows the client's address, so --retain-source-ip is
// not needed (mcrouter answers "Missing IP" without it); a request without one (made by the proxy itself)
// is answered with that local error, as mcrouter does. The hash is not mcrouter's (folly's), so a client may
// get another child than under mcrouter; each client still sticks to one child. `children` is a required
// non-empty list; offset is in [0, children); one child is that child.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class OriginalClientHashRoute final : public RouteHandle {
 public:
  OriginalClientHashRoute(std::vector<RouteHandlePtr> children, std::uint64_t offset)
      : children_(std::move(children)), offset_(offset) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "OriginalClientHashRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  std::vector<RouteHandlePtr> children_;
  std::uint64_t offset_;
};

}  // namespace mcrelay
