#pragma once
// ClientPipeline: the socket-free core of a client connection. Bytes in -> requests (RequestParser) ->
// routing (one call: ClientContext::route) -> replies -> bytes out, in request order.
//
// It owns everything of a connection that is not I/O: the reply slots in request order (ReplyRing), the
// split of a multi-key get into one request per key and the merge of their replies under one END
// (MultiGetMerge), meta quiet mode (the server is asked without q; "nothing to report" replies are dropped
// here, so mn comes after all of them), noreply (a silent slot that keeps its place in the order), the
// replies the proxy makes itself (version, verbosity, mn, quit, memcached's error strings, refusals), and
// flow control. Flow control is returned as a value (ReadAction), never acted on: the driver reads, pauses
// or stops reading, writes output() and closes when done() or over_limit() say so.
//
// Contract: created and used by one driver (proxy/client_session.hpp) on its worker thread. Completions of
// routed requests hold a reference to the pipeline, so it outlives its driver until they have all come back;
// after close() they only count their replies. The shape follows Envoy's redis command splitter (split and
// merge behind callbacks) and Boost.Redis's reader FSM (the I/O loop only executes the actions returned).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/reply.hpp"
#include "protocol/request_parser.hpp"
#include "proxy/client_context.hpp"
#include "proxy/reply_ring.hpp"
#include "util/ref_counted.hpp"

namespace mcrelay {

struct Options;
struct WorkerStats;

// What the driver does with the socket's input next.
enum class ReadAction : std::uint8_t {
  read,   // keep reading
  pause,  // stop reading until can_resume(), then call resume()
  stop,   // read nothing more (quit, a fatal line, EOF, shutdown of this client): close once done()
};

class ClientPipeline : public RefCounted {
 public:
  // `options` and `stats` belong to the worker and outlive every pipeline; `ctx` lives until close().
  ClientPipeline(ClientContext& ctx, const Options& options, WorkerStats& stats, ParserLimits limits);

  // The hash of the client's IP address (OriginalClientHashRoute), set before the first feed().
  void set_client_ip_hash(std::uint64_t h) noexcept { client_ip_hash_ = h; }

  // Bytes read from the client. Consumes them all: the tail of an incomplete request, and while paused
  // everything not yet parsed, is kept until the next feed() or resume().
  ReadAction feed(std::string_view bytes);
  // Reading was paused and can_resume(): parses what was kept, then says what to do next.
  ReadAction resume();
  bool paused() const noexcept { return paused_; }
  bool can_resume() const noexcept;
  // EOF from the client, or a graceful drain: answer what was asked, read nothing more.
  void end_input() noexcept;
  ReadAction read_action() const noexcept;

  // Reply bytes ready to be written, in request order. The driver writes from it and erases what it wrote,
  // or moves it into its own write buffer and reports those bytes with set_write_in_flight().
  std::string& output() noexcept { return ring_.output(); }
  const std::string& output() const noexcept { return ring_.output(); }
  void set_write_in_flight(std::size_t bytes) noexcept { write_in_flight_ = bytes; }
  // The client left more reply bytes unread than --max-client-queued-bytes: close it now.
  bool over_limit() const noexcept;
  // Input is closed and every reply was handed to output(): close once output() is written.
  bool done() const noexcept { return input_closed_ && ring_.outstanding() == 0; }
  std::size_t outstanding() const noexcept { return ring_.outstanding(); }
  // The connection is closing: forget the ClientContext, drop unanswered slots.
  void close() noexcept;
  bool closed() const noexcept { return closed_; }

 private:
  std::size_t process(std::string_view in);
  void dispatch(const ParsedRequest& p);
  void dispatch_retrieval(const ParsedRequest& p);
  void dispatch_stats(const ParsedRequest& p);
  void dispatch_flush_all(const ParsedRequest& p);
  // The one path from a parsed request to a route: calls ctx_.route and hands the reply to `on_reply`
  // (reply, routed), now or later. routed is false for the proxy's own answers.
  template <typename OnReply>
  void route(const RequestPtr& req, OnReply&& on_reply);

  bool must_pause() const noexcept;
  bool may_resume() const noexcept;
  std::uint64_t open_slot();
  void finish_local(std::string_view text, bool close_after = false);
  // Fills slot `seq` through write(std::string&); its bytes reach output() once every older slot is done.
  template <typename Writer>
  void finish_slot(std::uint64_t seq, Writer&& write) {
    if (closed_ || !ring_.live(seq)) return;
    record_latency(seq);
    settle(ring_.finish(seq, std::forward<Writer>(write)));
  }
  void record_latency(std::uint64_t seq) noexcept;
  void settle(ReplyRing::Released released);

  // Completions (client_pipeline_replies.cpp). routed: the reply came from a route, so mcrouter's
  // miss_on_get_errors applies.
  void on_single_get(std::uint64_t seq, const RequestPtr& req, Reply&& reply, bool routed);
  void on_multi_get_part(std::uint64_t seq, std::size_t index, Reply&& reply, bool routed);
  void on_simple_reply(std::uint64_t seq, Op op, bool silent, Reply&& reply);  // silent: noreply
  void on_meta_reply(std::uint64_t seq, const RequestPtr& req, bool quiet, Reply&& reply);
  void count_get(Result r) noexcept;

  ClientContext* ctx_;  // null once closed
  const Options& options_;
  WorkerStats& stats_;
  RequestParser parser_;
  std::optional<std::uint64_t> client_ip_hash_;  // of the peer's address, for OriginalClientHashRoute
  std::string pending_in_;  // bytes not parsed yet: an incomplete request, or all that came while paused
  ReplyRing ring_;
  // Keys of multi-key gets not yet answered: bounded too, as one slot may hold tens of thousands.
  std::size_t multiget_keys_inflight_ = 0;
  std::size_t write_in_flight_ = 0;
  bool paused_ = false;
  bool input_closed_ = false;
  bool closed_ = false;
};

}  // namespace mcrelay
