#include "proxy/worker.hpp"

#include <boost/asio/post.hpp>

#include "proxy/admin_keys.hpp"
#include "proxy/client_session.hpp"
#include "proxy/local_answers.hpp"
#include "proxy/upstream_connection.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

void Worker::write(std::string_view line) noexcept { log::notice("{}", line); }

Worker::Worker(unsigned id, ServerContext& server, const Options& options)
    : id_(id),
      server_(server),
      options_(options),
      scratch_(64 * 1024),
      destinations_(*this, server, options, stats_, loop_.io(), id),
      sessions_(*this, server, options, stats_, loop_.io(), id) {
  limits_.max_item_size = options.max_item_size;
}

Worker::~Worker() = default;

void Worker::add_acceptor(asio::ip::tcp::acceptor acceptor, std::string default_prefix) {
  sessions_.add_acceptor(std::move(acceptor), std::move(default_prefix));
}

void Worker::add_tls_acceptor(asio::ip::tcp::acceptor acceptor) { sessions_.add_tls_acceptor(std::move(acceptor)); }

void Worker::add_unix_acceptor(asio::local::stream_protocol::acceptor acceptor, std::string default_prefix) {
  sessions_.add_unix_acceptor(std::move(acceptor), std::move(default_prefix));
}

void Worker::install_config(std::shared_ptr<const LoadedConfig> config) {
  if (!loop_.started()) {
    apply_config(std::move(config));  // before start(): this thread is the only one touching the worker
    return;
  }
  asio::post(io(), [this, config = std::move(config)]() mutable { apply_config(std::move(config)); });
}

void Worker::apply_config(std::shared_ptr<const LoadedConfig> config) {
  // The config was validated on the control thread; building it here only creates this worker's handles.
  try {
    destinations_.begin_config();
    auto router = std::make_unique<Router>(config->config, *this, root_settings(options_, config->route_prefix),
                                           std::make_shared<WorkerAdminKeys>(*this));
    router_ = std::move(router);  // in-flight requests finish on the old tree, which keeps what it uses
    config_ = std::move(config);
    destinations_.end_config();
  } catch (const std::exception& e) {
    log::error("worker {}: could not apply config: {}", id_, e.what());
  }
}

void Worker::start() {
  sessions_.start();
  if (options_.reset_inactive_connection_interval_ms > 0) destinations_.start_inactive_sweep();
  loop_.start(id_, [this] { end_of_loop(); });
}

void Worker::request_snapshot(UniqueFunction<void(const StatsTotals&)> deliver) {
  if (io().get_executor().running_in_this_thread()) {
    deliver(snapshot_worker(stats_));  // asked by one of this worker's own sessions: as of now
    return;
  }
  std::shared_ptr<const StatsTotals> final;
  {
    std::lock_guard lock(snapshot_mu_);
    if (!loop_ended_) {
      snapshot_requests_.push_back(std::move(deliver));
      if (snapshot_requests_.size() == 1) asio::post(io(), [this] { serve_snapshot_requests(); });
      return;
    }
    final = final_snapshot_;
  }
  deliver(*final);
}

void Worker::serve_snapshot_requests() {
  std::vector<UniqueFunction<void(const StatsTotals&)>> requests;
  {
    std::lock_guard lock(snapshot_mu_);
    requests.swap(snapshot_requests_);
  }
  if (requests.empty()) return;
  const StatsTotals snapshot = snapshot_worker(stats_);
  for (auto& deliver : requests) deliver(snapshot);
}

void Worker::end_of_loop() {
  // A request posted after the loop's last turn would never be served: answer it (and every later one)
  // with the counters as they are now, final.
  auto final = std::make_shared<const StatsTotals>(snapshot_worker(stats_));
  std::vector<UniqueFunction<void(const StatsTotals&)>> requests;
  {
    std::lock_guard lock(snapshot_mu_);
    loop_ended_ = true;
    final_snapshot_ = final;
    requests.swap(snapshot_requests_);
  }
  for (auto& deliver : requests) deliver(*final);
}

void Worker::drain(std::chrono::milliseconds timeout, std::function<void()> done) {
  asio::post(io(), [this, timeout, done = std::move(done)]() mutable {
    destinations_.set_stopping();
    drain_done_ = std::move(done);
    drain_deadline_ = std::chrono::steady_clock::now() + timeout;
    sessions_.begin_drain();
    drain_timer_ = std::make_unique<asio::steady_timer>(io());
    finish_drain();
  });
}

void Worker::finish_drain() {
  if (!sessions_.empty() && std::chrono::steady_clock::now() < drain_deadline_) {
    drain_timer_->expires_after(std::chrono::milliseconds(10));
    drain_timer_->async_wait([this](const error_code&) { finish_drain(); });
    return;
  }
  if (!sessions_.empty()) log::warn("worker {}: drain timeout; closing {} connections", id_, sessions_.size());
  close_everything();
  finished_.store(true, std::memory_order_relaxed);
  if (drain_done_) drain_done_();
  loop_.stop();
}

void Worker::close_everything() {
  sessions_.close_all();
  destinations_.close_all();
  loop_.run_deferred();  // the requests failed by the closes above are answered (a spooled delete is kept)
}

void Worker::stop() {
  asio::post(io(), [this] {
    close_everything();
    loop_.stop();
  });
}

void Worker::join() { loop_.join(); }

}  // namespace mcrelay
