#pragma once
// Worker: one event-loop thread of the proxy (mcrouter's "proxy"): an io_context, its own acceptor on the
// shared port (SO_REUSEPORT: the kernel spreads clients across workers; with --listen-sock-fd a duplicate of
// the inherited socket), its client sessions, its upstream connections and its own copy of the route trees.
//
// Contract: everything on the request path happens on the worker's own thread without locks. Other threads
// talk to a worker only by posting to its io_context (install_config, stop) or by reading its relaxed
// counters (stats()).
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "protocol/request_parser.hpp"
#include "proxy/router.hpp"
#include "proxy/read_poller.hpp"
#include "proxy/stats.hpp"
#include "proxy/stream.hpp"
#include "proxy/server_health.hpp"
#include "proxy/upstream_destination.hpp"

namespace mcrelay {

class ClientSession;
class ProxyServer;

class Worker final : public DestinationProvider, public RouteTimer, public RouteLog {
 public:
  Worker(unsigned id, ProxyServer& server, const Options& options);
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
  std::uint64_t tick() const noexcept { return tick_; }  // seconds of this worker's idle clock
  // True once a drain has finished and the loop is ending (any thread).
  bool finished() const noexcept { return finished_.load(std::memory_order_relaxed); }
  void join();

  // Worker thread only.
  boost::asio::io_context& io() noexcept { return io_; }
  ReadPoller& read_poller() noexcept { return read_poller_; }  // plain client sockets' readability
  WorkerStats& stats() noexcept { return stats_; }
  const WorkerStats& stats() const noexcept { return stats_; }
  Router& router() noexcept { return *router_; }
  const LoadedConfig& config() const noexcept { return *config_; }
  const Options& options() const noexcept { return options_; }
  const ParserLimits& parser_limits() const noexcept { return limits_; }
  ProxyServer& server() noexcept { return server_; }
  unsigned id() const noexcept { return id_; }
  char* scratch() noexcept { return scratch_.data(); }
  std::size_t scratch_size() const noexcept { return scratch_.size(); }

  // Deferred flushes: everything queued during one loop turn is written with one syscall per socket.
  void defer_flush(UpstreamConnection* conn);
  void defer_flush(ClientSession* session);

  void session_closed(ClientSession* session);

  // A server was just marked down by one of this worker's connections: probe it (version requests with
  // exponential backoff and jitter) until it answers, then mark it up.
  void start_probe(ServerHealth& health);
  // Sends the deletes spooled for this server (--async-dir); those that fail again are spooled again.
  void replay_deletes(ServerHealth& health);

  // Worker thread: one destination per server the running config's routes use (one of them when a server
  // is used with several timeouts), for requests that go to every server (`stats <group>`).
  std::vector<std::shared_ptr<Destination>> server_destinations() const;

  // DestinationProvider: the worker's destination for a server, created on first use.
  std::shared_ptr<Destination> destination(const config::ServerAddress& server,
                                           const config::PoolConfig& pool) override;
  // DestinationProvider/RouteTimer: route handles' delays (LatencyInjectionRoute) run on this io_context.
  RouteTimer* timer() noexcept override { return this; }
  void run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn) override;
  // DestinationProvider/RouteLog: LoggingRoute's lines, through mcrelay's logger (always written, as info).
  RouteLog* route_log() noexcept override { return this; }
  void write(std::string_view line) noexcept override;

 private:
  void accept_next(std::size_t index);
  void accept_next_unix(std::size_t index);
  // Admission (--max-conns) done: TLS streams handshake first, then the session starts.
  void start_session(Stream stream, const std::string& default_prefix, bool tls);
  // The transport settings (TLS context and expected name) of a server, for probes and delete replays.
  UpstreamSettings settings_for(const ServerHealth& health) const;
  void sweep_idle();
  void sweep_inactive_upstreams();  // --reset-inactive-connection-interval
  void finish_drain();
  void run_deferred();
  void apply_config(std::shared_ptr<const LoadedConfig> config);
  struct Probe;
  void drop_probes_of_removed_servers();
  void schedule_probe(Probe& probe, std::chrono::milliseconds delay);
  void run_probe(Probe& probe);

  unsigned id_;
  ProxyServer& server_;
  const Options& options_;
  ParserLimits limits_;
  boost::asio::io_context io_;
  ReadPoller read_poller_{io_};  // after io_: destroyed before it
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  std::vector<std::string> acceptor_prefixes_;  // acceptors_[i]'s default routing prefix, or empty
  std::vector<bool> acceptor_tls_;              // acceptors_[i] is a --ssl-port one
  std::vector<boost::asio::local::stream_protocol::acceptor> unix_acceptors_;
  std::vector<std::string> unix_acceptor_prefixes_;  // unix_acceptors_[i]'s default routing prefix, or empty
  // Servers reached over TLS: their context and expected name (probes and replays use the same).
  std::map<std::string, UpstreamSettings, std::less<>> tls_servers_;
  std::thread thread_;
  WorkerStats stats_;
  std::vector<char> scratch_;

  std::shared_ptr<const LoadedConfig> config_;
  std::unique_ptr<Router> router_;
  // Destinations by server and settings. Shared with the trees that use them: after a reload, the ones the
  // new config does not name are dropped here and close once the last old tree lets go of them.
  std::map<std::string, std::shared_ptr<UpstreamDestination>, std::less<>> destinations_;
  std::vector<std::string> used_destinations_;  // filled while a config is being applied

  std::vector<Ref<UpstreamConnection>> dirty_upstreams_;
  std::vector<Ref<ClientSession>> dirty_sessions_;
  bool deferred_posted_ = false;
  std::vector<ClientSession*> sessions_;
  std::vector<Ref<ClientSession>> closed_sessions_;  // closed this loop turn; freed on the next
  bool closed_posted_ = false;
  bool stopping_ = false;
  std::uint64_t accept_failures_ = 0;  // consecutive accept(2) errors (EMFILE...): logged once per episode
  std::map<ServerHealth*, std::unique_ptr<Probe>> probes_;
  std::uint64_t rng_state_;
  std::uint64_t tick_ = 0;
  std::unique_ptr<boost::asio::steady_timer> idle_timer_;
  std::unique_ptr<boost::asio::steady_timer> inactive_timer_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::function<void()> drain_done_;
  std::atomic<bool> finished_{false};
};

}  // namespace mcrelay
