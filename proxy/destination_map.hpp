#pragma once
// DestinationMap: one worker's upstream destinations, one per server and settings (timeouts, TLS), shared
// by the route trees that name them and kept across reloads while a config names them; the probes of
// servers marked down (version requests with exponential backoff and jitter until one answers); the replay
// of spooled deletes (--async-dir) to a server that answers again; and the periodic close of inactive
// upstream connections (--reset-inactive-connection-interval).
//
// Contract: owned by a Worker (proxy/worker.hpp) and used only on its thread (a config applied before the
// thread starts is applied on the control thread, which then is the only one touching it). The
// UpstreamContext given (the worker) is passed on to the connections it creates, nothing more.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/pool_config.hpp"
#include "config/server_address.hpp"
#include "proxy/options.hpp"
#include "proxy/server_context.hpp"
#include "proxy/server_health.hpp"
#include "proxy/stats.hpp"
#include "proxy/upstream_destination.hpp"

namespace mcrelay {


class DestinationMap {
 public:
  DestinationMap(UpstreamContext& worker, ServerContext& server, const Options& options, WorkerStats& stats,
                 boost::asio::io_context& io, unsigned id);
  ~DestinationMap();

  // Applying a config: begin_config(), then get() for every server the new trees use, then end_config(),
  // which drops the destinations the new config does not name (they close once the last old tree lets go
  // of them) and stops probing their servers. Without end_config() (the new trees failed to build) nothing
  // is dropped.
  void begin_config() { used_.clear(); }
  void end_config();
  // The destination for a server as a pool uses it, created on first use.
  std::shared_ptr<Destination> get(const config::ServerAddress& server, const config::PoolConfig& pool);
  // One destination per server (one of them when a server is used with several timeouts), for requests that
  // go to every server (`stats <group>`).
  std::vector<std::shared_ptr<Destination>> server_destinations() const;

  // A server was just marked down by one of this worker's connections: probe it until it answers, then
  // mark it up (and replay its spooled deletes).
  void start_probe(ServerHealth& health);
  // Sends the deletes spooled for this server; those that fail again are spooled again.
  void replay_deletes(ServerHealth& health);
  // --reset-inactive-connection-interval > 0: from now on, close connections idle that long.
  void start_inactive_sweep();

  // Drain or stop: no new probe, replay or sweep from now on.
  void set_stopping() noexcept { stopping_ = true; }
  // Stop: close every destination and probe, cancel the sweep.
  void close_all();

 private:
  struct Probe;
  // The transport settings (TLS context and expected name) of a server, for probes and delete replays.
  UpstreamSettings settings_for(const ServerHealth& health) const;
  void drop_probes_of_removed_servers();
  void schedule_probe(Probe& probe, std::chrono::milliseconds delay);
  void run_probe(Probe& probe);
  void sweep_inactive();

  UpstreamContext& worker_;
  ServerContext& server_;
  const Options& options_;
  WorkerStats& stats_;
  boost::asio::io_context& io_;
  unsigned id_;
  bool stopping_ = false;
  // Servers reached over TLS: their context and expected name (probes and replays use the same).
  std::map<std::string, UpstreamSettings, std::less<>> tls_servers_;
  // Destinations by server and settings. Shared with the trees that use them: after a reload, the ones the
  // new config does not name are dropped here and close once the last old tree lets go of them.
  std::map<std::string, std::shared_ptr<UpstreamDestination>, std::less<>> destinations_;
  std::vector<std::string> used_;  // filled while a config is being applied
  std::map<ServerHealth*, std::unique_ptr<Probe>> probes_;
  std::uint64_t rng_state_;
  std::unique_ptr<boost::asio::steady_timer> inactive_timer_;
};

}  // namespace mcrelay
