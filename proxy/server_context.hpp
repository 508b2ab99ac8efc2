#pragma once
// ServerContext: what a worker and the objects it runs (client sessions, upstream destinations, admin keys)
// may ask of the process, instead of the whole ProxyServer: shared server health, the delete spool,
// connection admission, TLS contexts, the proxy's own stats, and a graceful shutdown. Implemented by
// ProxyServer; tests implement it with fakes, so a Worker can run without a ProxyServer.
//
// Contract: every member may be called from any worker thread. health(), spool() and the TLS contexts are
// shared by all workers (their own contracts say how they synchronise); admit/release are relaxed atomics.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "util/unique_function.hpp"

namespace mcrelay {

class DeleteSpool;
class HealthRegistry;

class ServerContext {
 public:
  virtual HealthRegistry& health() noexcept = 0;
  virtual DeleteSpool* spool() noexcept = 0;  // null without --async-dir
  // Admission control for --max-conns: false when the limit is reached; release once per admitted one.
  virtual bool admit_connection() noexcept = 0;
  virtual void release_connection() noexcept = 0;
  // The --ssl-port listeners' context as of now (null without --ssl-port).
  virtual std::shared_ptr<boost::asio::ssl::context> server_tls_context() const = 0;
  // The context for servers reached over TLS; null when the --pem-* files did not load (then: the error).
  virtual std::shared_ptr<boost::asio::ssl::context> client_tls_context() const noexcept = 0;
  virtual const std::string& client_tls_error() const noexcept = 0;
  virtual std::size_t worker_count() const noexcept = 0;
  // The proxy's own `stats [group]` text. Every worker copies its counters on its own thread; `done` then
  // runs on `reply_on` (posted, never from inside this call) with the rendered text.
  virtual void render_stats(std::string_view group, boost::asio::io_context& reply_on,
                            UniqueFunction<void(std::string)> done) = 0;
  // The `shutdown` command: the same graceful drain as SIGTERM, started on the control thread.
  virtual void request_shutdown() = 0;

 protected:
  ~ServerContext() = default;
};

}  // namespace mcrelay
