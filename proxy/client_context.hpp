#pragma once
// ClientContext: what a client pipeline (proxy/client_pipeline.hpp) needs from the connection's driver and
// worker, and nothing else: routing, `stats`, `shutdown`, and a wake-up when replies are ready.
//
// Contract: implemented by the driver (proxy/client_session.hpp; a fake in tests/proxy). Called on the
// worker's thread by the pipeline: route(), stats() and request_shutdown() only while the pipeline parses
// input (inside ClientPipeline::feed/resume), on_progress() whenever a reply completes (during feed, or
// later from a server's reply), never after the pipeline was closed.
#include <string>
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"
#include "routes/route_handle.hpp"
#include "util/unique_function.hpp"

namespace mcrelay {

class ClientContext {
 public:
  // The one place a client's request is routed. Returns true when it was routed: `done` is called once, before
  // route() returns or later. Returns false when the proxy answers it itself (an admin key, a key too long,
  // an operation refused by a flag, an unknown routing prefix): `answer` holds that reply and `done` is
  // dropped uncalled. flush_all is broadcast to every route (or the connection's pool).
  virtual bool route(const RequestPtr& req, ReplyFn done, Reply& answer) = 0;
  // `stats <args>` (args allowed on this connection): `done` gets the whole reply text, now or later.
  virtual void stats(std::string_view args, UniqueFunction<void(std::string)> done) = 0;
  // `shutdown` was accepted: drain the proxy as on SIGTERM.
  virtual void request_shutdown() = 0;
  // Replies moved to the pipeline's output, or its flow state changed: the driver schedules a write, resumes
  // reading if the pipeline allows it, or closes if the client left too much unread (over_limit()).
  virtual void on_progress() = 0;

 protected:
  ~ClientContext() = default;
};

}  // namespace mcrelay
