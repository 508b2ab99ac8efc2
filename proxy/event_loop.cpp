#include "proxy/event_loop.hpp"

#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/client_session.hpp"
#include "proxy/upstream_connection.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;

// One thread runs this io_context; other threads only post to it. Reactor I/O locking is not needed.
EventLoop::EventLoop() : io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {}

EventLoop::~EventLoop() = default;

void EventLoop::start(unsigned id, std::function<void()> on_end) {
  thread_ = std::thread([this, id, on_end = std::move(on_end)] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      log::error("worker {}: event loop stopped: {}", id, e.what());
    }
    if (on_end) on_end();
  });
}

void EventLoop::join() {
  if (thread_.joinable()) thread_.join();
}

void EventLoop::run_after(std::chrono::milliseconds delay, UniqueFunction<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
    if (!ec) fn();
  });
}

void EventLoop::post_deferred() {
  if (!deferred_posted_) {
    deferred_posted_ = true;
    asio::post(io_, [this] { run_deferred(); });
  }
}

void EventLoop::defer_flush(UpstreamConnection* conn) {
  dirty_upstreams_.emplace_back(conn);
  post_deferred();
}

void EventLoop::defer_flush(ClientSession* session) {
  dirty_sessions_.emplace_back(session);
  post_deferred();
}

void EventLoop::defer_completion(ReplyFn done, Reply reply) {
  completions_.emplace_back(std::move(done), std::move(reply));
  post_deferred();
}

void EventLoop::run_deferred() {
  // Completions first (they answer routes, which may send more), then requests (they go upstream), then
  // replies. Each step can queue more; loop until quiet. deferred_posted_ stays set meanwhile, so queueing
  // during the run does not post another turn.
  deferred_posted_ = true;
  while (!completions_.empty() || !dirty_upstreams_.empty() || !dirty_sessions_.empty()) {
    while (!completions_.empty()) {
      running_completions_.swap(completions_);
      for (auto& [done, reply] : running_completions_) done(std::move(reply));
      running_completions_.clear();
    }
    std::vector<Ref<UpstreamConnection>> ups;
    ups.swap(dirty_upstreams_);
    for (auto& u : ups) u->flush();
    std::vector<Ref<ClientSession>> sessions;
    sessions.swap(dirty_sessions_);
    for (auto& s : sessions) s->flush();
  }
  deferred_posted_ = false;
}

}  // namespace mcrelay
