#pragma once
// UpstreamContext: what an upstream connection or destination needs of its worker, and nothing more: the
// event loop to run on, the worker's counters, the deferred flush, the per-turn completion queue, and the
// probe of a server it has just marked down. Narrow on purpose, so the upstream side does not reach the
// rest of the worker (sessions, routes, configs) and a test can stand in for the worker.
//
// Contract: implemented by Worker (proxy/worker.hpp); every call on that worker's thread.
#include <boost/asio/io_context.hpp>

#include "protocol/reply.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class ServerHealth;
class UpstreamConnection;
struct WorkerStats;

class UpstreamContext {
 public:
  virtual boost::asio::io_context& io() noexcept = 0;
  virtual WorkerStats& stats() noexcept = 0;
  // flush() of `conn` runs once, at the end of this loop turn (one write per socket per turn).
  virtual void defer_flush(UpstreamConnection* conn) = 0;
  // `done(reply)` runs from the loop, before this turn's flushes: never inside the call that queued it.
  virtual void defer_completion(ReplyFn done, Reply reply) = 0;
  // A server was just marked down by one of this worker's connections: probe it until it answers.
  virtual void start_probe(ServerHealth& health) = 0;

 protected:
  ~UpstreamContext() = default;
};

}  // namespace mcrelay
