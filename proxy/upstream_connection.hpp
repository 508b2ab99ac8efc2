#pragma once
// UpstreamConnection: one pipelined connection from a worker to a memcached server: TCP, TLS over TCP
// (settings.tls set: the handshake is part of connecting, under the connect timeout, and the last TLS
// session is offered again on reconnects), or a Unix domain socket (the server's host is a path).
//
// The driver around an UpstreamPipeline (proxy/upstream_pipeline.hpp), which owns what is not I/O:
// batching, serializing, FIFO reply matching, lease translation. This class owns the socket, TLS, DNS,
// the connect and reply timers, and reconnecting.
//
// Contract: created, used and destroyed on its worker thread. send() queues a request and never blocks;
// the connection is opened lazily on first use and again after a failure. Requests queued within one
// event-loop turn are written together (the worker calls flush() once per turn: one write per socket per
// turn). A timeout, a protocol error or a closed socket fails every request on the connection with an
// error reply and resets it; the next request reconnects. Every `done` runs from the worker's per-turn
// completion queue (UpstreamContext::defer_completion), never inside send(), flush(), close() or retire().
// Reads: Asio's async_read_some (a short read is not "drained": a FIN that came with the last bytes brings
// no readiness edge of its own). Its worker is reached only through UpstreamContext.
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/stream.hpp"
#include "proxy/upstream_context.hpp"
#include "proxy/upstream_pipeline.hpp"
#include "proxy/tls_context.hpp"
#include "util/ref_counted.hpp"
#include "routes/destination.hpp"

namespace mcrelay {

class ServerHealth;
struct DestinationStats;
struct WorkerStats;

struct UpstreamSettings {
  std::uint32_t server_timeout_ms = 1000;
  std::uint32_t connect_timeout_ms = 1000;
  std::size_t max_batch_keys = 100;  // keys merged into one upstream multi-get
  // TCP keepalive (mcrouter's -K/-i/-I): probes after `idle` s without traffic, every `interval` s, the
  // connection dropped after `count` unanswered ones. count 0: no keepalive.
  int keepalive_count = 3;
  int keepalive_interval_s = 10;
  int keepalive_idle_s = 30;
  // TLS to the server (pool "use_ssl"): the client context, and the name its certificate must carry.
  bool use_tls = false;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null with use_tls: TLS unavailable, for `tls_error`
  std::string tls_name;
  std::string tls_error;
  // The server's last TLS session, shared by every connection of one worker to it (its pool connections,
  // probes, delete replays: all on that worker's thread), so each reconnect resumes. Null: per connection.
  std::shared_ptr<TlsSessionCache> tls_sessions;
};

class UpstreamConnection : public RefCounted {
 public:
  // `host` may be a name: it is resolved asynchronously on every (re)connect, so a server that comes back
  // with a new address is found again, and DNS never blocks the worker.
  UpstreamConnection(UpstreamContext& worker, ServerHealth& health, std::shared_ptr<DestinationStats> stats,
                     UpstreamSettings settings);
  ~UpstreamConnection();

  void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done);
  // Writes every queued request that is not written yet (called by the worker once per loop turn).
  void flush();
  // Fails everything pending and closes the socket (shutdown, config change).
  void close();
  // Close once nothing is pending (the destination was dropped by a reload).
  void retire();
  // --reset-inactive-connection-interval, called every interval: closes the connection if it is open, has
  // nothing pending and was sent nothing since the previous call (so it closes after 1 to 2 intervals of
  // inactivity, as mcrouter's). The next request reconnects. Returns true when it closed it.
  bool close_if_inactive();

  std::size_t pending() const noexcept { return pipeline_.pending(); }
  // Whether the last connect attempt failed to resolve the host name (not to reach it): the probes of a
  // down server retry a refused connect soon, but do not hammer the DNS.
  bool resolve_failed() const noexcept { return resolve_failed_; }
  const std::string& name() const noexcept { return name_; }

 private:
  using Clock = std::chrono::steady_clock;
  // The pipeline's stats, in the worker's and the destination's counters.
  struct Accounting final : UpstreamAccounting {
    Accounting(WorkerStats& w, DestinationStats& d) : worker(w), dest(d) {}
    void queued(Op op) noexcept override;
    void completed(Result result, Clock::duration waited) noexcept override;
    void error_reply() noexcept override;
    WorkerStats& worker;
    DestinationStats& dest;
  };
  enum class State : std::uint8_t { disconnected, connecting, connected };

  void connect();
  void connect_to(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);
  void on_transport_connected(const boost::system::error_code& ec);  // TCP or Unix socket connected (or not)
  void start_tls();
  void on_connected();
  void start_read();
  void on_read(std::size_t n);
  // Hands the pipeline's finished requests to the worker's completion queue.
  void deliver();
  void arm_timer();
  void on_timer();
  void reset(Result why, std::string_view reason);
  void write_out();
  void on_write(std::size_t n);

  UpstreamContext& worker_;
  ServerHealth& health_;
  std::shared_ptr<DestinationStats> dstats_;
  std::string name_;
  std::string host_;
  std::uint16_t port_;
  std::vector<boost::asio::ip::tcp::endpoint> literal_;  // set when host_ is an IP address
  boost::asio::ip::tcp::resolver resolver_;
  UpstreamSettings settings_;
  Stream stream_;
  std::string last_tls_error_;    // logged as a warning once, then at debug level while it repeats
  bool tls_session_kept_ = false;  // this connection's resumable session is in the cache already
  boost::asio::steady_timer timer_;          // reply deadline of the oldest request
  boost::asio::steady_timer connect_timer_;
  State state_ = State::disconnected;
  bool timer_armed_ = false;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool retiring_ = false;
  bool active_ = false;  // a request was sent since the last close_if_inactive()
  bool resolve_failed_ = false;
  std::uint64_t generation_ = 0;  // bumped on reset so that the handlers of the old socket are ignored

  Accounting accounting_;
  UpstreamPipeline pipeline_;
  UpstreamCompletions completions_;

  std::string out_;
  std::string in_;
  std::size_t in_size_ = 0;
};

}  // namespace mcrelay
