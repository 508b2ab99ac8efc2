#pragma once
// ClientSession: one client connection to the proxy.
//
// Contract: lives on its worker's thread. Each session reads into a small buffer of its own (an async read
// needs one while it waits: asio then needs no epoll_ctl per request); a read that fills it is continued
// into the worker's shared 64 KiB scratch buffer. Only the bytes of an incomplete request are kept beyond
// that, so an idle connection costs its socket, this object and the small buffer. Each
// request that expects a reply takes a slot in a ring, in arrival order; replies fill their slots whenever
// servers answer, and slots are written strictly in order, so the client sees replies in request order even
// when servers answer out of order. The replies completed in one loop turn go out in one write. Reading
// pauses while too many requests are outstanding or too many reply bytes wait for a slow reader.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>


#include "protocol/reply.hpp"
#include "protocol/request_parser.hpp"
#include "proxy/stream.hpp"
#include "util/ref_counted.hpp"

namespace mcrelay {

class Worker;

class ClientSession : public RefCounted {
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
  bool idle() const noexcept { return outstanding() == 0 && out_.empty() && !writing_; }

 private:
  static constexpr std::uint32_t kNoLocalError = UINT32_MAX;
  struct Slot {
    std::string out;
    bool ready = false;
    bool close_after = false;  // quit, or a line too long: close once this slot is written
    Op op = Op::get;
    std::uint32_t waiting = 0;          // multi-get: keys still to answer
    std::uint32_t local_error = kNoLocalError;  // multi-get: first key the proxy refused itself (or none)
    std::vector<RequestPtr> reqs;       // multi-get: one per key, in the client's order
    std::vector<Reply> replies;
    std::chrono::steady_clock::time_point start;  // for the latency histogram
  };

  void start_read();
  void on_data(std::size_t n);
  void drain_socket();
  void on_eof();
  void consume_input(const char* data, std::size_t n);
  std::size_t process(std::string_view in);
  void dispatch(const ParsedRequest& p);
  void dispatch_retrieval(const ParsedRequest& p);
  void dispatch_flush_all(const ParsedRequest& p);
  void dispatch_meta(const ParsedRequest& p);
  RequestPtr make_request(Op op, std::string_view key);

  std::uint64_t open_slot();
  Slot& slot(std::uint64_t seq) noexcept { return ring_[seq & (ring_.size() - 1)]; }
  void finish_local(std::string_view text, bool close_after = false);
  template <typename Writer>
  void finish_slot(std::uint64_t seq, Writer&& write);
  void drain_ready();
  void schedule_flush();
  void on_write_done();
  void maybe_resume();
  void maybe_close_when_done();
  std::size_t outstanding() const noexcept { return static_cast<std::size_t>(tail_seq_ - head_seq_); }
  // Flow control of reading: pause at any limit, resume below half of every one (client_session.cpp).
  bool must_pause() const noexcept;
  bool may_resume() const noexcept;

  // routed: the reply comes from a route (not from the proxy itself), so mcrouter's miss_on_get_errors applies.
  void on_single_get(std::uint64_t seq, const RequestPtr& req, Reply&& reply, bool routed);
  void on_multi_get_part(std::uint64_t seq, std::size_t index, Reply&& reply, bool routed);
  void on_simple_reply(std::uint64_t seq, Op op, bool silent, Reply&& reply);  // silent: noreply
  void on_meta_reply(std::uint64_t seq, const RequestPtr& req, bool quiet, Reply&& reply);

  Worker& worker_;
  Stream stream_;
  std::string default_prefix_;  // set_default_prefix(); empty: the router's default route
  RequestParser parser_;
  static constexpr std::size_t kReadBuffer = 2048;
  std::unique_ptr<char[]> rbuf_;
  std::string pending_in_;  // bytes of an incomplete request (empty most of the time)

  std::vector<Slot> ring_;  // power-of-two size
  std::uint64_t head_seq_ = 0;
  std::uint64_t tail_seq_ = 0;
  // Keys of multi-key gets not yet answered: bounded too, as one slot may hold tens of thousands.
  std::size_t multiget_keys_inflight_ = 0;

  std::string out_;   // replies ready to be written
  std::string wbuf_;  // the bytes an async write is sending
  bool writing_ = false;
  bool flush_pending_ = false;

  enum class ReadState : std::uint8_t { idle, waiting, paused };
  ReadState read_state_ = ReadState::idle;
  bool input_closed_ = false;  // EOF, quit or a fatal parse error: read nothing more
  bool closed_ = false;
  std::uint64_t last_active_tick_ = 0;
  std::optional<std::uint64_t> client_ip_hash_;  // of the peer's address, for OriginalClientHashRoute
};

}  // namespace mcrelay
