#pragma once
// DevNullRoute: mcrouter's "NullRoute with stats". Answers every request at once with the same "nothing
// happened" reply as NullRoute (default_reply: a miss for gets, NOT_STORED for updates, NOT_FOUND for
// deletes/arith/touch) and sends nothing anywhere.
//
// Contract: built by RouteFactory at config load (no options besides "type"/"name"); route() runs on the
// owning worker thread, answers synchronously and never throws. mcrouter also counts these requests in its
// `dev_null_requests` stat; mcrelay has no per-handle stats yet (docs/routing.md says so).
#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class DevNullRoute final : public RouteHandle {
 public:
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  std::string_view type() const noexcept override { return "DevNullRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request&, std::vector<std::string>&) const override {}
};

}  // namespace mcrelay
