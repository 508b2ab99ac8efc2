#pragma once
// ModifyExptimeRoute {target, exptime, action: "set" | "min"}: rewrites the exptime of requests on their way
// to `target`.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and hand `done` straight to the target (no reply merging, no
// state kept, so nothing to keep alive).
//
// Semantics (mcrouter's): only requests that carry an exptime are changed: set/add/replace/append/prepend/
// cas, touch, gat and gats, and the meta commands' TTL flags (ms's T, absent meaning 0; mg's and ma's T
// and N when present); gets, deletes and arithmetic pass through unchanged. "set"
// replaces the exptime with `exptime`; "min" uses the smaller of the two, where 0 means "never expires"
// (so 0 becomes `exptime`) and values are compared as written (negative = already expired stays; like
// mcrouter, a Unix-time exptime above 30 days is compared as a number too). "min" with exptime 0 changes
// nothing. The request is copied, never modified in place (fan-out routes share it). The target's reply is
// returned as is.
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class ModifyExptimeRoute final : public RouteHandle {
 public:
  enum class Action : std::uint8_t { set, min };

  ModifyExptimeRoute(RouteHandlePtr target, std::int64_t exptime, Action action)
      : target_(std::move(target)), exptime_(exptime), action_(action) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "ModifyExptimeRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { target_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override {
    target_->collect_destinations(req, out);
  }

  // The request the target sees: `req` itself when nothing changes, else a modified copy.
  RequestPtr rewrite(const RequestPtr& req) const;
  RequestPtr rewrite_meta(const RequestPtr& req) const;
  std::optional<std::int64_t> new_exptime(std::int64_t current) const noexcept;  // nullopt: unchanged

 private:
  RouteHandlePtr target_;
  std::int64_t exptime_;
  Action action_;
};

}  // namespace mcrelay
