#pragma once
// BlackholeRoute {default, policies, blackhole_child}: sends a request to `blackhole_child` (NullRoute when
// absent) when it matches `policies`, else to `default`.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and hands `done` to the chosen child unchanged.
//
// Semantics (mcrouter's BlackholingPolicyVisitor): `policies` maps a request field name to a list of
// {"op": "equals" | "not_equals", "value": ...}. For each field the request HAS, the policies of that field
// are or-ed; the per-field results are and-ed; fields the request does not have are skipped, so a request
// with none of the named fields is blackholed. The fields of memcache requests: "key" (the full key, routing
// prefix included; string values), "exptime" and "flags" (storage commands; exptime for touch/gat too),
// "delta" (incr/decr) (numeric values, bool compared as 0/1). A value of the wrong type, or a field whose type
// mcrouter cannot compare ("value"), never matches.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class BlackholeRoute final : public RouteHandle {
 public:
  struct Policy {
    bool equals = true;  // false: not_equals
    nlohmann::json value;
  };
  struct FieldPolicies {
    std::string field;
    std::vector<Policy> policies;  // or-ed
  };

  BlackholeRoute(RouteHandlePtr default_route, RouteHandlePtr blackhole, std::vector<FieldPolicies> policies)
      : default_(std::move(default_route)), blackhole_(std::move(blackhole)), policies_(std::move(policies)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "BlackholeRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override {
    (should_blackhole(*req) ? blackhole_ : default_)->broadcast(req, std::move(done));
  }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    (should_blackhole(req) ? blackhole_ : default_)->collect_destinations(req, out);
  }

  bool should_blackhole(const Request& req) const;

 private:
  RouteHandlePtr default_, blackhole_;
  std::vector<FieldPolicies> policies_;
};

}  // namespace mcrelay
