#pragma once
// UpstreamPipeline: the socket-free core of one pipelined connection to a memcached server: which requests
// are queued, how they are written, and which reply answers which request. No socket, timer or worker
// here: the driver (UpstreamConnection) moves bytes and time in and out, in the shape of Boost.Redis's
// multiplexer (add / prepare_write / consume / fail_all).
//
//   add()            queues a request; consecutive retrievals of one op and exptime that are not written
//                    yet merge into one multi-key command (up to max_batch_keys keys).
//   prepare_write()  appends every queued command not written yet to the driver's output buffer.
//   consume()        takes reply bytes and matches them to requests in FIFO order: misses of a multi-get
//                    are inferred from the keys the server skipped; lease-get/lease-set/metaget replies
//                    are translated from the meta commands they went upstream as. Returns how many bytes
//                    it used (an incomplete reply is left for the next call) or a protocol error, after
//                    which the stream cannot be trusted: the driver fails everything (fail_all) and resets.
//   fail_all()       answers every queued request with an error (timeout, closed socket, shutdown).
//
// Completions are never called from here: each finished request is appended, with its reply, to the
// caller's UpstreamCompletions, which the driver hands to the worker's per-turn completion queue. So a
// route's `done` never runs inside add() or consume(), and nothing here guards against re-entry.
//
// Contract: owned by one upstream connection on its worker thread (or by a unit test); not thread-safe.
// `now` is the caller's steady clock, read once per batch of bytes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply.hpp"
#include "protocol/reply_parser.hpp"
#include "protocol/request.hpp"
#include "routes/destination.hpp"

namespace mcrelay {

struct UpstreamCompletion {
  ReplyFn done;
  Reply reply;
};
using UpstreamCompletions = std::vector<UpstreamCompletion>;

// What the pipeline reports for stats; the driver maps it to its counters (WorkerStats, DestinationStats).
// Called on the pipeline's thread, inline.
class UpstreamAccounting {
 public:
  virtual ~UpstreamAccounting() = default;
  virtual void queued(Op op) noexcept = 0;  // a request was added
  // A request finished with `result`, `waited` after it was added.
  virtual void completed(Result result, std::chrono::steady_clock::duration waited) noexcept = 0;
  virtual void error_reply() noexcept = 0;  // the server answered with an error line (SERVER_ERROR...)
};

class UpstreamPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  using UnixClock = std::int64_t (*)();  // wall clock in seconds (metaget's absolute exptime)

  struct ConsumeResult {
    std::size_t used = 0;         // bytes consumed from the front of the input
    bool protocol_error = false;  // the stream is out of step: fail_all and reset
    std::size_t need = 0;         // incomplete reply: total bytes it needs from the unused part, when known
    std::string error;            // protocol error: what did not fit, for the log
  };

  UpstreamPipeline(std::size_t max_batch_keys, std::uint32_t default_timeout_ms,
                   UpstreamAccounting* accounting = nullptr) noexcept
      : max_batch_keys_(max_batch_keys ? max_batch_keys : 1),
        default_timeout_ms_(default_timeout_ms),
        accounting_(accounting) {}

  // Queues `req`; `done` is handed back in a completion once its reply (or an error) is known. The reply
  // deadline is `now` plus opts.timeout_ms, or the default timeout when that is 0.
  void add(const RequestPtr& req, const SendOptions& opts, ReplyFn done, Clock::time_point now);
  // Appends every command not written yet to `out`; returns whether it appended anything.
  bool prepare_write(std::string& out);
  ConsumeResult consume(std::string_view bytes, Clock::time_point now, UpstreamCompletions& out);
  // Completes every queued request with Reply::error(why, reason) and forgets what was written.
  void fail_all(Result why, std::string_view reason, Clock::time_point now, UpstreamCompletions& out);

  // The reply deadline of the oldest command, if any is queued.
  std::optional<Clock::time_point> next_deadline() const noexcept;
  std::size_t pending() const noexcept { return subs_.size(); }
  bool has_unwritten() const noexcept { return written_ < entries_.size(); }

  // The server's address while connected: metaget's "from" (the driver sets it on connect).
  void set_peer(std::string peer) { peer_ = std::move(peer); }
  void set_unix_clock(UnixClock clock) noexcept { unix_clock_ = clock; }

 private:
  struct Sub {  // one request
    RequestPtr req;
    ReplyFn done;
    bool keep_prefix = false;
    Clock::time_point added;
  };
  struct Entry {  // one upstream command; a retrieval covers `count` consecutive subs (a batched multi-get)
    Op op;
    std::int64_t exptime;
    std::uint32_t count;
    Clock::time_point deadline;
  };

  std::string_view sub_key(const Sub& s) const noexcept { return s.req->upstream_key(s.keep_prefix); }
  void complete_front(Reply&& reply, Clock::time_point now, UpstreamCompletions& out);
  Reply reply_for(const Entry& e, ReplyParseStatus status, const ParsedReply& pr) const;

  std::size_t max_batch_keys_;
  std::uint32_t default_timeout_ms_;
  UpstreamAccounting* accounting_;
  std::string peer_;
  UnixClock unix_clock_ = &system_unix_seconds;

  std::deque<Entry> entries_;
  std::deque<Sub> subs_;
  std::size_t written_ = 0;       // entries already handed to prepare_write (they come first)
  std::size_t written_subs_ = 0;  // subs of those entries still waiting for their reply
  ReplyParser parser_;

  static std::int64_t system_unix_seconds() noexcept;
};

}  // namespace mcrelay
