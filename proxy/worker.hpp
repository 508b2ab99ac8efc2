#pragma once
// Worker: one event-loop thread of the proxy (mcrouter's "proxy"): its loop (proxy/event_loop.hpp), its
// client side (acceptors on the shared port, sessions, idle sweep: proxy/session_registry.hpp), its upstream
// side (destinations, probes, delete replays: proxy/destination_map.hpp) and its own copy of the route trees.
// The Worker ties them together: it applies configs, drains and stops, and answers for its stats.
//
// Contract: everything on the request path happens on the worker's own thread without locks. Other threads
// talk to a worker only by posting to its io_context (install_config, drain, stop) or through
// request_snapshot() (stats). What the worker and its objects ask of the process goes through ServerContext
// (proxy/server_context.hpp), never to the ProxyServer itself.
//
// The accessors below the "Worker thread only" line are what client sessions, upstream connections and the
// admin keys use; each forwards to the piece that owns the state.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/request_parser.hpp"
#include "proxy/destination_map.hpp"
#include "proxy/event_loop.hpp"
#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/router.hpp"
#include "proxy/read_poller.hpp"
#include "proxy/server_context.hpp"
#include "proxy/upstream_context.hpp"
#include "proxy/server_health.hpp"
#include "proxy/session_registry.hpp"
#include "proxy/stats.hpp"
#include "proxy/stats_collector.hpp"

namespace mcrelay {

class ClientSession;
class UpstreamConnection;

class Worker final : public DestinationProvider, public RouteTimer, public RouteLog, public SnapshotSource,
                     public UpstreamContext {
 public:
  // `server`: what the worker and its objects may ask of the process (proxy/server_context.hpp).
  Worker(unsigned id, ServerContext& server, const Options& options);
  ~Worker() override;

  // Control thread, before start(): adopt an acceptor bound by the server.
  // `default_prefix`: sessions accepted there route keys without a routing prefix by that prefix's route
  // (a twemproxy pool's own listen address); empty: the default route.
  void add_acceptor(boost::asio::ip::tcp::acceptor acceptor, std::string default_prefix = {});
  // Control thread, before start(): a --ssl-port acceptor (connections handshake TLS first, with the
  // server's current TLS context), and a --unix-domain-sock acceptor.
  void add_tls_acceptor(boost::asio::ip::tcp::acceptor acceptor);
  void add_unix_acceptor(boost::asio::local::stream_protocol::acceptor acceptor, std::string default_prefix = {});
  // Control thread: build the route trees for `config` on this worker (posted; takes effect between
  // requests). The first call must happen before start().
  void install_config(std::shared_ptr<const LoadedConfig> config);
  void start();  // spawns the thread
  void stop();   // posts a stop: close acceptors and sessions, then the loop ends
  // Posts a graceful stop: close the acceptors, let sessions finish what they were asked (reading nothing
  // new), close them, then end the loop; after `timeout` whatever is left is closed. `done` runs on this
  // worker's thread just before the loop ends.
  void drain(std::chrono::milliseconds timeout, std::function<void()> done);
  std::uint64_t tick() const noexcept { return sessions_.tick(); }  // seconds of this worker's idle clock
  // True once a drain has finished and the loop is ending (any thread).
  bool finished() const noexcept { return finished_.load(std::memory_order_relaxed); }
  void join();

  // SnapshotSource (any thread): a copy of this worker's counters, taken on its own thread (a request
  // from another thread waits in a small mailbox, served by one posted handler); once the loop has ended,
  // the copy taken when it ended.
  void request_snapshot(UniqueFunction<void(const StatsTotals&)> deliver) override;

  // Worker thread only.
  boost::asio::io_context& io() noexcept override { return loop_.io(); }
  ReadPoller& read_poller() noexcept { return read_poller_; }  // plain client sockets' readability
  WorkerStats& stats() noexcept override { return stats_; }
  const WorkerStats& stats() const noexcept { return stats_; }
  Router& router() noexcept { return *router_; }
  const LoadedConfig& config() const noexcept { return *config_; }
  const Options& options() const noexcept { return options_; }
  const ParserLimits& parser_limits() const noexcept { return limits_; }
  ServerContext& server() noexcept { return server_; }
  unsigned id() const noexcept { return id_; }
  char* scratch() noexcept { return scratch_.data(); }
  std::size_t scratch_size() const noexcept { return scratch_.size(); }

  // Deferred flushes: everything queued during one loop turn is written with one syscall per socket.
  void defer_flush(UpstreamConnection* conn) override { loop_.defer_flush(conn); }
  void defer_flush(ClientSession* session) { loop_.defer_flush(session); }
  // Per-turn completion queue: upstream replies and a destination's fast failures run `done` from here,
  // before this turn's flushes, never inside the send() or route() call that produced them.
  void defer_completion(ReplyFn done, Reply reply) override {
    loop_.defer_completion(std::move(done), std::move(reply));
  }

  void session_closed(ClientSession* session) { sessions_.session_closed(session); }

  // A server was just marked down by one of this worker's connections: probe it (version requests with
  // exponential backoff and jitter) until it answers, then mark it up.
  void start_probe(ServerHealth& health) override { destinations_.start_probe(health); }
  // Sends the deletes spooled for this server (--async-dir); those that fail again are spooled again.
  void replay_deletes(ServerHealth& health) { destinations_.replay_deletes(health); }

  // Worker thread: one destination per server the running config's routes use (one of them when a server
  // is used with several timeouts), for requests that go to every server (`stats <group>`).
  std::vector<std::shared_ptr<Destination>> server_destinations() const { return destinations_.server_destinations(); }

  // DestinationProvider: the worker's destination for a server, created on first use.
  std::shared_ptr<Destination> destination(const config::ServerAddress& server,
                                           const config::PoolConfig& pool) override {
    return destinations_.get(server, pool);
  }
  // DestinationProvider/RouteTimer: route handles' delays (LatencyInjectionRoute) run on this io_context.
  RouteTimer* timer() noexcept override { return this; }
  void run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn) override {
    loop_.run_after(delay, std::move(fn));
  }
  // DestinationProvider/RouteLog: LoggingRoute's lines, through mcrelay's logger (always written, as info).
  RouteLog* route_log() noexcept override { return this; }
  void write(std::string_view line) noexcept override;

 private:
  void apply_config(std::shared_ptr<const LoadedConfig> config);
  void finish_drain();
  void close_everything();  // sessions, destinations, probes, timers
  void serve_snapshot_requests();
  void end_of_loop();  // the worker's thread, after its loop has returned

  unsigned id_;
  ServerContext& server_;
  const Options& options_;
  ParserLimits limits_;
  EventLoop loop_;  // first: destroyed last, after everything holding its sockets and timers
  ReadPoller read_poller_{loop_.io()};  // after loop_: destroyed before it
  WorkerStats stats_;
  std::vector<char> scratch_;

  std::shared_ptr<const LoadedConfig> config_;
  std::unique_ptr<Router> router_;
  DestinationMap destinations_;
  SessionRegistry sessions_;

  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::function<void()> drain_done_;
  std::atomic<bool> finished_{false};

  // Snapshot requests from other threads. The mutex is taken only when stats are asked for (and once when
  // the loop ends), never on the request path.
  std::mutex snapshot_mu_;
  std::vector<UniqueFunction<void(const StatsTotals&)>> snapshot_requests_;
  bool loop_ended_ = false;
  std::shared_ptr<const StatsTotals> final_snapshot_;
};

}  // namespace mcrelay
