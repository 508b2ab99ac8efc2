#pragma once
// SessionRegistry: one worker's client side: its acceptors (the shared TCP port, --ssl-port, Unix sockets),
// admission (--max-conns), the TLS handshake of --ssl-port clients, the sessions it accepted, the idle
// sweep (--idle-timeout) and the graceful close of every session (drain).
//
// Contract: owned by a Worker (proxy/worker.hpp). The add_* calls happen on the control thread before the
// worker starts; everything else on the worker's thread only. The Worker& given is passed on to the
// sessions it creates (ClientSession), nothing more.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/options.hpp"
#include "proxy/server_context.hpp"
#include "proxy/stats.hpp"
#include "proxy/stream.hpp"
#include "util/ref_counted.hpp"

namespace mcrelay {

class ClientSession;
class Worker;

class SessionRegistry {
 public:
  SessionRegistry(Worker& worker, ServerContext& server, const Options& options, WorkerStats& stats,
                  boost::asio::io_context& io, unsigned id);
  ~SessionRegistry();

  // Control thread, before start(): see Worker::add_acceptor and friends.
  void add_acceptor(boost::asio::ip::tcp::acceptor acceptor, std::string default_prefix);
  void add_tls_acceptor(boost::asio::ip::tcp::acceptor acceptor);
  void add_unix_acceptor(boost::asio::local::stream_protocol::acceptor acceptor, std::string default_prefix);
  // Starts accepting, and the idle sweep when --idle-timeout is set (before the loop runs).
  void start();

  // A session closed: the registry lets go of it (at the end of this loop turn) and of its admission.
  void session_closed(ClientSession* session);
  std::uint64_t tick() const noexcept { return tick_; }  // seconds of the idle clock
  bool empty() const noexcept { return sessions_.empty(); }
  std::size_t size() const noexcept { return sessions_.size(); }

  // Graceful stop: accept nothing more; every session reads nothing new and closes once it has answered.
  void begin_drain();
  // Stop: accept nothing more, close every session now, stop the idle sweep.
  void close_all();

 private:
  void accept_next(std::size_t index);
  void accept_next_unix(std::size_t index);
  // Admission (--max-conns) done: TLS streams handshake first, then the session starts.
  void start_session(Stream stream, const std::string& default_prefix, bool tls);
  void close_acceptors();
  void sweep_idle();

  Worker& worker_;
  ServerContext& server_;
  const Options& options_;
  WorkerStats& stats_;
  boost::asio::io_context& io_;
  unsigned id_;
  bool stopping_ = false;
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  std::vector<std::string> acceptor_prefixes_;  // acceptors_[i]'s default routing prefix, or empty
  std::vector<bool> acceptor_tls_;              // acceptors_[i] is a --ssl-port one
  std::vector<boost::asio::local::stream_protocol::acceptor> unix_acceptors_;
  std::vector<std::string> unix_acceptor_prefixes_;  // unix_acceptors_[i]'s default routing prefix, or empty
  std::uint64_t accept_failures_ = 0;  // consecutive accept(2) errors (EMFILE...): logged once per episode
  std::vector<ClientSession*> sessions_;
  std::vector<Ref<ClientSession>> closed_sessions_;  // closed this loop turn; freed on the next
  bool closed_posted_ = false;
  std::uint64_t tick_ = 0;
  std::unique_ptr<boost::asio::steady_timer> idle_timer_;
};

}  // namespace mcrelay
