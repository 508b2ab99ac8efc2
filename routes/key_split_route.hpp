#pragma once
// KeySplitRoute {destination, replicas, all_sync, first_hit}: keeps up to `replicas` copies of every key
// under different keys, "<key>" and "<key>::<i>" (i = 1 .. replicas-1), so that a hot key spreads over
// several servers of `destination` (mcrouter's KeySplitRoute).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route() runs on the owning
// worker thread, never throws, and calls `done` once. The replica this proxy uses is host_id() % replicas
// (routes/host_id.hpp), fixed for the process, as mcrouter's is per host.
//
// Semantics (mcrouter's): get, lease-get and lease-set go to this host's replica only (with first_hit, to
// all replicas, answering with the first hit — for lease-set the first stored — or the last reply); set goes
// to this host's replica and, with all_sync, to the others too in the background; delete always goes to all
// replicas (the others in the background); every other command goes to this host's replica only. Replica 0
// is the key itself; the others append "::<i>" to the full key (routing prefix included). The reply is the
// one from this host's replica. replicas is 2..1000; all_sync is required.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class KeySplitRoute final : public RouteHandle {
 public:
  static constexpr std::uint32_t kMinReplicas = 2;
  static constexpr std::uint32_t kMaxReplicas = 1000;

  KeySplitRoute(RouteHandlePtr child, std::uint32_t replicas, bool all_sync, bool first_hit)
      : child_(std::move(child)), replicas_(replicas), all_sync_(all_sync), first_hit_(first_hit) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "KeySplitRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { child_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  std::uint32_t replica_id() const noexcept;
  // The request for replica `id` (the request itself for 0).
  RequestPtr for_replica(const RequestPtr& req, std::uint32_t id) const;

 private:
  void route_all(const RequestPtr& req, ReplyFn done, std::uint32_t own);
  void route_first_hit(const RequestPtr& req, ReplyFn done);

  RouteHandlePtr child_;
  std::uint32_t replicas_;
  bool all_sync_;
  bool first_hit_;
};

}  // namespace mcrelay
