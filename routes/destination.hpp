#pragma once
// Destination: one memcached server as route handles see it (the leaf of every route tree).
//
// Contract: implemented in proxy/ by the per-worker upstream connection pool and in tests by recording
// fakes. send() is called on the owning worker thread and calls `done` exactly once on that thread, with
// the server's reply or a proxy-made error (timeout, connect error, TKO). It never throws. The proxy's
// destinations never call `done` inside send(): it runs later in the same loop turn, so a route's `done` never
// runs before its route() call has returned (fakes in tests may still answer inline).
#include <cstdint>
#include <string>

#include "routes/route_handle.hpp"

namespace mcrelay {

struct SendOptions {
  bool keep_routing_prefix = false;  // send the key with its routing prefix
  std::uint32_t timeout_ms = 0;      // 0: the destination's default (-t/--server-timeout)
};

class Destination {
 public:
  virtual ~Destination() = default;
  virtual const std::string& name() const noexcept = 0;  // "host:port" as written in the config
  virtual void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) = 0;
  // False while the server is known to be down (TKO): pools that eject down servers rehash around it.
  virtual bool available() const noexcept { return true; }
};

}  // namespace mcrelay
