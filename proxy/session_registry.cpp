#include "proxy/session_registry.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "proxy/client_session.hpp"
#include "proxy/tls_accept.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

SessionRegistry::SessionRegistry(Worker& worker, ServerContext& server, const Options& options, WorkerStats& stats,
                                 asio::io_context& io, unsigned id)
    : worker_(worker), server_(server), options_(options), stats_(stats), io_(io), id_(id) {}

SessionRegistry::~SessionRegistry() = default;

void SessionRegistry::add_acceptor(asio::ip::tcp::acceptor acceptor, std::string default_prefix) {
  acceptors_.push_back(std::move(acceptor));
  acceptor_prefixes_.push_back(std::move(default_prefix));
  acceptor_tls_.push_back(false);
}

void SessionRegistry::add_tls_acceptor(asio::ip::tcp::acceptor acceptor) {
  acceptors_.push_back(std::move(acceptor));
  acceptor_prefixes_.emplace_back();
  acceptor_tls_.push_back(true);
}

void SessionRegistry::add_unix_acceptor(asio::local::stream_protocol::acceptor acceptor, std::string default_prefix) {
  unix_acceptors_.push_back(std::move(acceptor));
  unix_acceptor_prefixes_.push_back(std::move(default_prefix));
}

void SessionRegistry::start() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) accept_next(i);
  for (std::size_t i = 0; i < unix_acceptors_.size(); ++i) accept_next_unix(i);
  if (options_.idle_timeout_ms > 0) {
    idle_timer_ = std::make_unique<asio::steady_timer>(io_);
    sweep_idle();
  }
}

void SessionRegistry::accept_next(std::size_t index) {
  acceptors_[index].async_accept([this, index](const error_code& ec, asio::ip::tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // EMFILE/ENFILE and friends: back off briefly instead of spinning on a listener that stays readable,
      // and say so once per episode (every 100 ms would flood the log exactly when the proxy is in trouble).
      if (accept_failures_++ == 0) {
        log::warn("worker {}: accept failed: {}; retrying every 100 ms (logged again once accepting recovers)", id_,
                  ec.message());
      }
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, index, timer](const error_code&) {
        if (!stopping_) accept_next(index);
      });
      return;
    }
    if (accept_failures_ > 0) {
      log::warn("worker {}: accepting again after {} failed accepts", id_, accept_failures_);
      accept_failures_ = 0;
    }
    if (!server_.admit_connection()) {
      // --max-conns reached: refuse this one (accepting and closing keeps the backlog from filling up).
      stats_.rejected_connections.add();
      error_code ignored;
      socket.close(ignored);
      accept_next(index);
      return;
    }
    start_session(Stream(std::move(socket)), acceptor_prefixes_[index], acceptor_tls_[index]);
    accept_next(index);
  });
}

void SessionRegistry::accept_next_unix(std::size_t index) {
  unix_acceptors_[index].async_accept([this, index](const error_code& ec, asio::local::stream_protocol::socket socket) {
    if (stopping_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::warn("worker {}: accept on the Unix socket failed: {}; retrying in 100 ms", id_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, index, timer](const error_code&) {
        if (!stopping_) accept_next_unix(index);
      });
      return;
    }
    if (!server_.admit_connection()) {
      stats_.rejected_connections.add();
      error_code ignored;
      socket.close(ignored);
    } else {
      start_session(Stream(std::move(socket)), unix_acceptor_prefixes_[index], false);
    }
    accept_next_unix(index);
  });
}

void SessionRegistry::start_session(Stream stream, const std::string& default_prefix, bool tls) {
  if (tls) {
    auto ctx = server_.server_tls_context();
    auto* socket = stream.tcp_socket();
    Stream tls_stream(std::move(*socket), std::move(ctx));
    tls_accept(io_, std::move(tls_stream), std::chrono::milliseconds(options_.tls_handshake_timeout_ms),
               [this](Stream ready) {
                 stats_.tls_handshakes.add();
                 if (stopping_) {
                   ready.close();
                   server_.release_connection();
                   return;
                 }
                 start_session(std::move(ready), {}, false);
               },
               [this](const std::string& why) {
                 server_.release_connection();
                 stats_.tls_handshake_failures.add();
                 log::debug("worker {}: TLS handshake with a client failed: {}", id_, why);
               });
    return;
  }
  auto session = make_ref<ClientSession>(worker_, std::move(stream));
  if (!default_prefix.empty()) session->set_default_prefix(default_prefix);
  sessions_.push_back(session.get());
  session->add_ref();  // the registry's reference, dropped in session_closed()
  session->start();
}

void SessionRegistry::session_closed(ClientSession* session) {
  server_.release_connection();
  for (auto& s : sessions_) {
    if (s == session) {
      s = sessions_.back();
      sessions_.pop_back();
      break;
    }
  }
  // Drop the registry's reference once the current handler is done with the session: it moves to a list
  // the registry owns (cleared on the next loop turn, or when the worker goes), so a loop stopped right
  // after a close (drain, stop) cannot leak it.
  closed_sessions_.emplace_back(session);
  session->release();  // the list holds the registry's reference now
  if (!closed_posted_) {
    closed_posted_ = true;
    asio::post(io_, [this] {
      closed_posted_ = false;
      closed_sessions_.clear();
    });
  }
}

void SessionRegistry::sweep_idle() {
  // A coarse clock: sessions note the tick of their last read; one timer per worker closes the idle ones.
  idle_timer_->expires_after(std::chrono::seconds(1));
  idle_timer_->async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    ++tick_;
    std::uint64_t limit = std::max<std::uint64_t>(1, (options_.idle_timeout_ms + 999) / 1000);
    auto sessions = sessions_;
    for (auto* s : sessions) {
      if (tick_ - s->last_active_tick() > limit && s->idle()) s->close();
    }
    sweep_idle();
  });
}

void SessionRegistry::close_acceptors() {
  stopping_ = true;
  error_code ec;
  for (auto& a : acceptors_) a.close(ec);
  for (auto& a : unix_acceptors_) a.close(ec);
}

void SessionRegistry::begin_drain() {
  close_acceptors();
  auto sessions = sessions_;
  for (auto* s : sessions) s->drain();
}

void SessionRegistry::close_all() {
  close_acceptors();
  auto sessions = sessions_;
  for (auto* s : sessions) s->close();
  if (idle_timer_) idle_timer_->cancel();
}

}  // namespace mcrelay
