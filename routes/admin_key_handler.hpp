#pragma once
// AdminKeyHandler: how the root route (routes/root_route.hpp) answers the admin keys, `get __mcrouter__.*`
// (mcrouter's ServiceInfo), without routes/ knowing what answers them. The proxy implements it over its worker
// (proxy/admin_keys.hpp: config, options, version, route lookups); tests implement it with a fake.
//
// Contract: called by RootRoute::route on the worker thread that owns the root, once per retrieval key that
// starts with kAdminKeyPrefix, before any routing. Never throws; answers synchronously.
#include <string_view>

#include "protocol/reply.hpp"

namespace mcrelay {

inline constexpr std::string_view kAdminKeyPrefix = "__mcrouter__.";

inline bool is_admin_key(std::string_view key) noexcept { return key.starts_with(kAdminKeyPrefix); }

class AdminKeyHandler {
 public:
  virtual ~AdminKeyHandler() = default;
  // `key` starts with kAdminKeyPrefix. Returns false to route the key as any other; otherwise fills `out`
  // (a hit holding the answer, or "ERROR: <why>" as mcrouter answers a command that fails).
  virtual bool answer(std::string_view key, Reply& out) = 0;
};

}  // namespace mcrelay
