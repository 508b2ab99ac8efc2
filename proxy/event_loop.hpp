#pragma once
// EventLoop: one worker's io_context and thread, its per-turn completion queue and its deferred flush.
// Replies for routes (upstream replies, a down server's fast failures) are queued and delivered from the
// loop, never inside the send() or route() call that produced them, so no route handle is re-entered.
// Everything queued for writing during one loop turn (upstream connections with requests, client sessions
// with replies) is written once, at the end of the turn, with one syscall per socket.
//
// Contract: owned by a Worker (proxy/worker.hpp). start(), stop() and join() are called by the control
// thread; io() may be posted to from any thread; everything else runs on the loop's own thread only.
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "protocol/reply.hpp"
#include "routes/route_handle.hpp"
#include "util/ref_counted.hpp"
#include "util/unique_function.hpp"

namespace mcrelay {

class ClientSession;
class UpstreamConnection;

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();

  boost::asio::io_context& io() noexcept { return io_; }
  // Whether start() has spawned the thread (control thread).
  bool started() const noexcept { return thread_.joinable(); }
  // Spawns the thread, which runs the loop until stop(), then `on_end` (on that thread). `id` names the
  // worker in the log line of an exception that ends the loop.
  void start(unsigned id, std::function<void()> on_end);
  void stop() { io_.stop(); }  // the loop's thread (any thread may post a call to it)
  void join();

  // Deferred flushes: flush() of each is called once, at the end of this loop turn (requests first, then
  // replies; flushing may queue more, which is flushed in the same pass).
  void defer_flush(UpstreamConnection* conn);
  void defer_flush(ClientSession* session);

  // Per-turn completion queue: `done(reply)` runs from the loop, before this turn's flushes.
  void defer_completion(ReplyFn done, Reply reply);
  // Delivers queued completions and runs the deferred flushes now, until nothing is left (the deferred
  // turn itself; also called by stop and drain, so requests failed by closing are answered first).
  void run_deferred();

  // `fn` runs on the loop after `delay` (not at all if the loop stops first).
  void run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn);

 private:
  void post_deferred();

  boost::asio::io_context io_;
  std::thread thread_;
  std::vector<Ref<UpstreamConnection>> dirty_upstreams_;
  std::vector<Ref<ClientSession>> dirty_sessions_;
  std::vector<std::pair<ReplyFn, Reply>> completions_, running_completions_;
  bool deferred_posted_ = false;
};

}  // namespace mcrelay
