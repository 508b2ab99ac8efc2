#pragma once
// NullRoute: answers every request at once with the "nothing happened" reply (a miss for gets,
// NOT_STORED for updates, NOT_FOUND for deletes/arith/touch), like mcrouter's. Worker thread only.
#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class NullRoute final : public RouteHandle {
 public:
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  std::string_view type() const noexcept override { return "NullRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request&, std::vector<std::string>&) const override {}
};

// ErrorRoute {response, result, enable_logging}: answers every request with "SERVER_ERROR <response>".
// `result` (mcrouter's: an error result name, "mc_res_timeout" or "timeout", ...) is the reply's result as
// failover and the other routes above see it (default remote_error; on the wire every one but
// client_error/bad_command is SERVER_ERROR). `enable_logging` (bool, default true) is type-checked: mcrouter
// feeds these replies to its per-request stats logger, which mcrelay does not have per route.
class ErrorRoute final : public RouteHandle {
 public:
  explicit ErrorRoute(std::string response, Result result = Result::remote_error)
      : response_(std::move(response)), result_(result) {}
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  std::string_view type() const noexcept override { return "ErrorRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request&, std::vector<std::string>&) const override {}

 private:
  std::string response_;
  Result result_;
};

}  // namespace mcrelay
