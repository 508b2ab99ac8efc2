#include "proxy/client_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "proxy/admin_guard.hpp"
#include "proxy/local_answers.hpp"
#include "proxy/router.hpp"
#include "proxy/server_stats.hpp"
#include "proxy/worker.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr int kReadsPerTurn = 8;  // fairness between clients of one worker
}  // namespace

ClientSession::ClientSession(Worker& worker, Stream stream)
    : worker_(worker),
      stream_(std::move(stream)),
      pipeline_(make_ref<ClientPipeline>(static_cast<ClientContext&>(*this), worker.options(), worker.stats(),
                                         worker.parser_limits())) {}

ClientSession::~ClientSession() { pipeline_->close(); }

void ClientSession::start() {
  stream_.prepare();
  worker_.stats().curr_connections.add();
  worker_.stats().total_connections.add();
  last_active_tick_ = worker_.tick();  // a client that has not sent anything yet is idle from now, not from 0
  if (auto peer = stream_.remote_ip(); !peer.empty()) pipeline_->set_client_ip_hash(client_ip_hash(peer));
  if (!stream_.is_tls()) poll_token_ = worker_.read_poller().add(stream_.native_handle(), *this);
  if (poll_token_ == ReadPoller::kNoToken) rbuf_ = std::make_unique<char[]>(kReadBuffer);
  start_read();
}

// ---- Routing: the one place a client's request meets the routes ----

bool ClientSession::route(const RequestPtr& req, ReplyFn done, Reply& answer) {
  // The worker's root route (routes/root_route.hpp) owns each step: the flush_all broadcast (to this
  // connection's pool only on a twemproxy pool listener), the admin keys, and the choice of tree or the
  // proxy's own refusal. mcrouter's miss-on-error rules stay with the pipeline, which counts the result first.
  RootRoute& root = worker_.router();
  if (req->op == Op::flush_all) {
    root.broadcast(req, [d = std::move(done)](Reply&& r, RootOutcome) mutable { d(std::move(r)); }, default_prefix_);
    return true;
  }
  if (root.answer_admin(*req, answer)) return false;
  if (RouteHandle* handle = root.select_or_answer(*req, answer, default_prefix_)) {
    handle->route(req, std::move(done));
    return true;
  }
  return false;
}

void ClientSession::stats(std::string_view args, UniqueFunction<void(std::string)> done) {
  if (is_server_stats_group(args)) {  // asked of the servers (proxy/server_stats.hpp)
    bool hide = !worker_.options().enable_admin_keys;
    query_server_stats(worker_, args,
                       [hide, group = std::string(args), d = std::move(done)](std::string text) mutable {
                         if (hide) text = hide_server_addresses(group, std::move(text));
                         d(std::move(text));
                       });
    return;
  }
  worker_.server().render_stats(args, worker_.io(), std::move(done));  // posted back once every worker answered
}

void ClientSession::request_shutdown() { worker_.server().request_shutdown(); }

void ClientSession::on_progress() {
  if (closed_) return;
  if (pipeline_->over_limit()) {
    close();  // the client does not read its replies: stop spending memory on it
    return;
  }
  schedule_flush();
  maybe_resume();
}

// ---- Reading ----

void ClientSession::read_now() {
  for (int i = 0; i < kReadsPerTurn; ++i) {
    std::size_t n = 0;
    ScratchRead got = read_scratch(n);
    if (got == ScratchRead::drained) {
      wait_readable();
      return;
    }
    if (got == ScratchRead::ended) return;
    ReadAction action = pipeline_->feed(std::string_view(worker_.scratch(), n));
    if (closed_) return;
    if (action != ReadAction::read) {
      act(action);
      return;
    }
    // A short read emptied the socket: the next bytes bring an edge. Unless the peer's FIN came with these
    // bytes (it brings no edge of its own): then read on, to the end of file.
    if (n < worker_.scratch_size() && !worker_.read_poller().peer_closed(poll_token_)) {
      wait_readable();
      return;
    }
  }
  // The socket still holds more: let the worker's other clients run first.
  read_state_ = ReadState::waiting;
  asio::post(worker_.io(), [self = Ref<ClientSession>(this)] {
    if (self->closed_ || self->read_state_ != ReadState::waiting) return;
    self->read_state_ = ReadState::idle;
    self->read_now();
  });
}

void ClientSession::wait_readable() {
  read_state_ = ReadState::waiting;
  worker_.read_poller().wait(poll_token_);
}

void ClientSession::on_readable() {
  if (closed_ || read_state_ != ReadState::waiting) return;
  read_state_ = ReadState::idle;
  read_now();
}

void ClientSession::start_read() {
  if (poll_token_ != ReadPoller::kNoToken) {
    read_now();
    return;
  }
  read_state_ = ReadState::waiting;
  stream_.async_read_some(asio::buffer(rbuf_.get(), kReadBuffer),
                          [self = Ref<ClientSession>(this)](const error_code& ec, std::size_t n) {
                            if (self->closed_) return;
                            self->read_state_ = ReadState::idle;
                            if (ec) {
                              // TLS: a TCP FIN without close_notify (a client that half-closes after
                              // its last request) is "stream truncated"; answer it as a plain EOF.
                              if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
                                self->on_eof();
                              } else {
                                self->close();
                              }
                              return;
                            }
                            self->on_data(n);
                          });
}

void ClientSession::on_data(std::size_t n) {
  last_active_tick_ = worker_.tick();
  worker_.stats().bytes_read.add(n);
  ReadAction action = pipeline_->feed(std::string_view(rbuf_.get(), n));
  if (n == kReadBuffer && action == ReadAction::read) {
    drain_socket();  // the buffer filled up: more is probably waiting
    if (closed_) return;
    action = pipeline_->read_action();
  }
  act(action);
}

// Reads what the socket holds into the worker's scratch buffer, a bounded number of times (other clients of
// the worker run between rounds because the next async read completes through the queue).
void ClientSession::drain_socket() {
  for (int i = 0; i < kReadsPerTurn; ++i) {
    std::size_t n = 0;
    if (read_scratch(n) != ScratchRead::data) return;
    if (pipeline_->feed(std::string_view(worker_.scratch(), n)) != ReadAction::read || closed_) return;
    if (n < worker_.scratch_size()) return;
  }
}

ClientSession::ScratchRead ClientSession::read_scratch(std::size_t& n) {
  error_code ec;
  n = stream_.read_some(asio::buffer(worker_.scratch(), worker_.scratch_size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return ScratchRead::drained;
  if (ec || n == 0) {
    if (!ec || ec == asio::error::eof) {
      on_eof();
    } else {
      close();
    }
    return ScratchRead::ended;
  }
  last_active_tick_ = worker_.tick();
  worker_.stats().bytes_read.add(n);
  return ScratchRead::data;
}

// Executes the pipeline's decision about reading.
void ClientSession::act(ReadAction action) {
  if (closed_) return;
  switch (action) {
    case ReadAction::read:
      if (read_state_ == ReadState::idle) start_read();
      return;
    case ReadAction::pause:
      read_state_ = ReadState::paused;
      return;
    case ReadAction::stop:
      maybe_close_when_done();
      return;
  }
}

void ClientSession::on_eof() {
  // The client may half-close after its last request: answer what was asked, then close.
  pipeline_->end_input();
  maybe_close_when_done();
}

void ClientSession::maybe_resume() {
  if (read_state_ != ReadState::paused || closed_ || !pipeline_->can_resume()) return;
  read_state_ = ReadState::idle;
  // Requests already buffered come first; then the socket (which may hold data that arrived while paused).
  asio::post(worker_.io(), [self = Ref<ClientSession>(this)] {
    if (self->closed_ || self->read_state_ != ReadState::idle) return;
    self->act(self->pipeline_->resume());
  });
}

// ---- Writing ----

void ClientSession::schedule_flush() {
  if (flush_pending_ || closed_) return;
  flush_pending_ = true;
  worker_.defer_flush(this);
}

void ClientSession::flush() {
  flush_pending_ = false;
  if (closed_ || writing_) return;
  std::string& out = pipeline_->output();
  if (out.empty()) {
    maybe_close_when_done();
    return;
  }
  error_code ec;
  std::size_t n = stream_.write_some(asio::buffer(out), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    close();
    return;
  }
  worker_.stats().bytes_written.add(n);
  if (n == out.size()) {
    out.clear();
    if (out.capacity() > 256 * 1024) out.shrink_to_fit();
    on_write_done();
    return;
  }
  // The socket is full: hand the rest to an async write and keep collecting replies in the pipeline.
  writing_ = true;
  wbuf_.assign(out, n);
  out.clear();
  pipeline_->set_write_in_flight(wbuf_.size());
  stream_.async_write(asio::buffer(wbuf_), [self = Ref<ClientSession>(this)](const error_code& e, std::size_t m) {
    if (self->closed_) return;
    if (e) {
      self->close();
      return;
    }
    self->worker_.stats().bytes_written.add(m);
    self->writing_ = false;
    self->wbuf_.clear();
    if (self->wbuf_.capacity() > 256 * 1024) self->wbuf_.shrink_to_fit();
    self->pipeline_->set_write_in_flight(0);
    if (!self->pipeline_->output().empty()) {
      self->flush();
    } else {
      self->on_write_done();
    }
  });
}

void ClientSession::on_write_done() {
  maybe_resume();
  maybe_close_when_done();
}

// ---- Closing ----

void ClientSession::maybe_close_when_done() {
  if (closed_) return;
  if (pipeline_->done() && pipeline_->output().empty() && !writing_) close();
}

void ClientSession::drain() {
  pipeline_->end_input();
  maybe_close_when_done();
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  pipeline_->close();  // unanswered requests are dropped (and leave the requests_processing gauge)
  if (poll_token_ != ReadPoller::kNoToken) worker_.read_poller().remove(poll_token_, stream_.native_handle());
  poll_token_ = ReadPoller::kNoToken;
  stream_.close();
  worker_.stats().curr_connections.sub();
  worker_.session_closed(this);
}

}  // namespace mcrelay
