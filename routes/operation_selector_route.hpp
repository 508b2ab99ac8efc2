#pragma once
// OperationSelectorRoute {operation_policies: {op: route}, default_policy}: route by operation.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError, e.g. for an unknown operation
// name, with a "did you mean"); route()/broadcast() run on the owning worker thread, never throw, and hand
// `done` to the selected route (no merging, no state, nothing to keep alive).
//
// Semantics (mcrouter's): each request goes to the route of its own operation in `operation_policies`,
// else to `default_policy`, else it gets the default reply NullRoute gives (a miss, NOT_STORED, ...).
// Operation names are mcrouter's: get, gets, gat, gats, set, add, replace, append, prepend, cas, delete,
// incr, decr, touch, flushall, version, stats, verbosity, quit, metaget, lease-get, lease-set (mcrelay has
// no lease commands: those two are accepted and never selected). The match is exact, as in mcrouter: a
// "gets" request does not use the "get" policy. Meta commands use their classic counterparts: mg -> get,
// ms -> set, md -> delete, ma -> incr, me -> metaget; mn -> the default. Policies are built in name order
// (as mcrouter does, so named handles resolve the same way). At least one of the two keys is required.
// Broadcasts go to the policy of the broadcast's op (flushall) through its broadcast().
#include <array>
#include <string_view>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class OperationSelectorRoute final : public RouteHandle {
 public:
  using Table = std::array<RouteHandlePtr, kOpCount>;  // by Op; null: default reply

  explicit OperationSelectorRoute(Table table) : table_(std::move(table)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  // The mcrouter operation name a request's op is selected by ("" for none: default policy); the table is
  // protocol/op_names.hpp's.
  static std::string_view policy_name(Op op) noexcept;

  std::string_view type() const noexcept override { return "OperationSelectorRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  const RouteHandlePtr& target(Op op) const noexcept { return table_[static_cast<std::size_t>(op)]; }

  Table table_;
};

}  // namespace mcrelay
