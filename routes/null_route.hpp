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

// ErrorRoute {response}: answers every request with "SERVER_ERROR <response>".
class ErrorRoute final : public RouteHandle {
 public:
  explicit ErrorRoute(std::string response) : response_(std::move(response)) {}
  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);
  std::string_view type() const noexcept override { return "ErrorRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request&, std::vector<std::string>&) const override {}

 private:
  std::string response_;
};

}  // namespace mcrelay
