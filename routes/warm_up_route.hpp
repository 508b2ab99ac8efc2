#pragma once
// WarmUpRoute {cold, warm, exptime}: fill a new ("cold") cache from an old ("warm") one as it is read.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. Pending requests hold a shared_ptr
// to this handle, so dropping the tree while replies are outstanding is safe.
//
// Semantics (mcrouter's current WarmUpRoute):
// - get: from cold; a hit is returned. Otherwise the get goes to warm and warm's reply is returned (hit,
//   miss or error); on a warm hit an `add` of the value (warm's flags, `exptime`) is sent to cold in the
//   background (fire and forget; add, so it never overwrites a newer value).
// - gets, gat, gats: from cold; a hit is returned. Otherwise a plain `get` goes to warm; on a warm hit the
//   value is first added to cold (waiting for the add; exptime: `exptime` for gets, the request's own for
//   gat/gats) and then the original request is sent to cold again and that reply is returned, so that the
//   CAS token the client gets belongs to cold, where its later `cas` will go. With no warm hit, cold's
//   reply (the miss) is returned.
// - mg (meta get): as gets: on a cold miss the value is fetched from warm with a plain get, added to cold
//   (warm's flags, `exptime`), and the client's own mg is asked of cold again, so its reply carries exactly
//   the flags the client asked for (cas, ttl, opaque, key...). A binary key (flag b) cannot travel in a
//   plain get: for it, and for me (debug), warm's reply is returned and nothing is added.
// - metaget: from cold; on anything but a hit, warm's reply is returned.
// - lease-get: from cold; a hit or a hot miss (someone else is filling cold) is returned. Otherwise a plain
//   `get` goes to warm; on a warm hit the value is returned as a hit and, when cold handed out a lease, a
//   lease-set with that token fills cold in the background (warm's flags, `exptime`). With no warm hit,
//   cold's reply (the lease) is returned, so the client fills cold itself.
// - everything else (set/add/.../delete/incr/decr/touch, flush_all): to cold only; warm is never written:
//   the client keeps it consistent.
// The exptime of what is copied to cold (except gat/gats, which carry their own): `exptime` (seconds) when
// configured; otherwise, as mcrouter with metaget, the warm item's remaining TTL, learnt with a `metaget`
// to warm (memcached's `mg <key> s t`): 0 when it never expires; nothing is copied when the item has expired
// or the metaget misses. `enable_metaget: false` without `exptime` copies with exptime 0. For a plain get
// the client's reply does not wait for the metaget. Introspection lists cold then warm.
#include <cstdint>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class WarmUpRoute final : public RouteHandle, public std::enable_shared_from_this<WarmUpRoute> {
 public:
  // exptime: nullopt = the warm item's remaining TTL (metaget).
  WarmUpRoute(RouteHandlePtr cold, RouteHandlePtr warm, std::optional<std::uint32_t> exptime)
      : cold_(std::move(cold)), warm_(std::move(warm)), exptime_(exptime) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "WarmUpRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { cold_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  void on_cold_miss(const RequestPtr& req, ReplyFn done, Reply&& cold_reply);
  void on_lease_get_miss(const RequestPtr& req, ReplyFn done, Reply&& cold_reply);
  RequestPtr make_add(const Request& req, const Reply& warm_hit, std::int64_t exptime) const;
  // Calls fn(exptime for cold) or fn(nullopt) when nothing should be copied (synchronously when configured).
  void cold_exptime(const Request& req, UniqueFunction<void(std::optional<std::int64_t>)> fn);

  RouteHandlePtr cold_;
  RouteHandlePtr warm_;
  std::optional<std::uint32_t> exptime_;
};

}  // namespace mcrelay
