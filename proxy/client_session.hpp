#pragma once
// ClientSession: the driver of one client connection: its socket, reads, writes and close. Everything else
// (parsing, routing, reply order, multi-get, quiet mode, local answers, flow-control decisions) is the
// socket-free ClientPipeline (proxy/client_pipeline.hpp); this class only executes what the pipeline returns.
//
// Contract: lives on its worker's thread. A plain (TCP, Unix) socket is read synchronously into the worker's
// shared 64 KiB scratch buffer until a read comes back short, then waits for its next edge on the worker's
// ReadPoller (proxy/read_poller.hpp): one read per request, no read that returns EAGAIN. A TLS stream keeps
// an Asio async_read_some on a 2 KiB buffer of its own, continued into the scratch buffer when it fills.
// Only the bytes of an incomplete request are kept beyond that (by the pipeline), so an idle connection
// costs its socket, this object and its pipeline. The replies completed in one loop turn go out in one write (the worker's deferred flush).
// Reading pauses when the pipeline says so (too many requests outstanding, too many reply bytes unread)
// and resumes when it allows.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proxy/client_context.hpp"
#include "proxy/client_pipeline.hpp"
#include "proxy/read_poller.hpp"
#include "proxy/stream.hpp"
#include "util/ref_counted.hpp"

namespace mcrelay {

class Worker;

class ClientSession final : public RefCounted, private ClientContext, private ReadPoller::Waiter {
 public:
  // `stream`: accepted (TCP or Unix socket), or TLS with its handshake done (proxy/tls_accept.hpp).
  ClientSession(Worker& worker, Stream stream);
  ~ClientSession();

  void start();
  // Before start(): requests without a routing prefix take the route of `prefix` (a twemproxy pool's own
  // listen address), not the proxy's default route.
  void set_default_prefix(std::string prefix) { default_prefix_ = std::move(prefix); }
  void flush();  // worker's deferred flush
  void close();  // close now (shutdown, fatal error)
  // Graceful shutdown: read nothing new, answer what was asked, then close.
  void drain();
  std::uint64_t last_active_tick() const noexcept { return last_active_tick_; }
  bool idle() const noexcept { return pipeline_->outstanding() == 0 && pipeline_->output().empty() && !writing_; }

 private:
  // ClientContext (proxy/client_context.hpp): what the pipeline asks of the connection and its worker.
  bool route(const RequestPtr& req, ReplyFn done, Reply& answer) override;
  void stats(std::string_view args, UniqueFunction<void(std::string)> done) override;
  void request_shutdown() override;
  void on_progress() override;

  // Plain sockets: reads until a short read, then waits on the worker's ReadPoller (no EAGAIN read).
  void read_now();
  void wait_readable();
  void on_readable() override;
  // TLS (or no ReadPoller): Asio's async_read_some into rbuf_.
  void start_read();
  void on_data(std::size_t n);
  void drain_socket();
  // One non-blocking read into the worker's scratch buffer. data: `n` bytes read (and counted); drained:
  // nothing to read now; ended: end of file or an error, already acted on (on_eof() or close()).
  enum class ScratchRead : std::uint8_t { data, drained, ended };
  ScratchRead read_scratch(std::size_t& n);
  void on_eof();
  void act(ReadAction action);
  void schedule_flush();
  void on_write_done();
  void maybe_resume();
  void maybe_close_when_done();

  Worker& worker_;
  Stream stream_;
  Ref<ClientPipeline> pipeline_;
  std::string default_prefix_;  // set_default_prefix(); empty: the router's default route
  static constexpr std::size_t kReadBuffer = 2048;
  std::unique_ptr<char[]> rbuf_;  // TLS streams only
  ReadPoller::Token poll_token_ = ReadPoller::kNoToken;

  std::string wbuf_;  // the bytes an async write is sending
  bool writing_ = false;
  bool flush_pending_ = false;

  enum class ReadState : std::uint8_t { idle, waiting, paused };
  ReadState read_state_ = ReadState::idle;
  bool closed_ = false;
  std::uint64_t last_active_tick_ = 0;
};

}  // namespace mcrelay
