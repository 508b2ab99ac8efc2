#pragma once
// async_read_exhausting(socket, buffer, handler): socket.async_read_some for a plain non-blocking TCP or
// Unix stream socket, minus the read that returns EAGAIN.
//
// Why: Asio's epoll reactor tries every new read at once ("speculative" read) unless the previous read on
// the socket told it the socket was drained (done_and_exhausted). Boost 1.81's recv operation says so only
// at end of file, so a connection that reads a reply and then waits for the next one pays a recv(2) that
// returns EAGAIN on every wait; waiting with async_wait instead pays an epoll_ctl(2) MOD per wait. This
// operation reports a short read (fewer bytes than the buffer holds: the kernel had no more) as exhausted,
// as later Asio versions do: the next read is queued without a system call, and the reactor's edge-
// triggered registration (EPOLLIN | EPOLLET, made once per socket) performs it when data arrives. Race-
// free by the reactor's own rule: any readiness event that arrives in between re-enables the speculative
// read. So a readiness event costs one recv(2), which returns the data.
//
// Where the reactor is not Asio's epoll reactor of Boost 1.81 (its internals are used here), or the socket
// is not in non-blocking mode, this is plain async_read_some. TLS streams keep their own read.
//
// Contract: called on the thread that runs the socket's io_context (a worker), with at most one read
// pending on the socket. The handler is called as async_read_some's would be: (error_code, bytes), with
// asio::error::eof at end of file and operation_aborted when the socket is closed; never inline.
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/version.hpp>

#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && BOOST_VERSION / 100 == 1081
#define MCRELAY_EXHAUSTING_READ 1
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#endif

namespace mcrelay {

#ifdef MCRELAY_EXHAUSTING_READ
namespace exhausting_read_detail {

namespace adetail = boost::asio::detail;

template <typename Handler>
class RecvOp final : public adetail::reactor_op {
 public:
  RecvOp(int fd, boost::asio::mutable_buffer buffer, Handler handler)
      : adetail::reactor_op(boost::system::error_code(), &RecvOp::perform_recv, &RecvOp::complete_recv),
        fd_(fd),
        buffer_(buffer),
        handler_(std::move(handler)) {}

 private:
  static status perform_recv(adetail::reactor_op* base) {
    auto* op = static_cast<RecvOp*>(base);
    for (;;) {
      ssize_t n = ::recv(op->fd_, op->buffer_.data(), op->buffer_.size(), 0);
      if (n > 0) {
        op->bytes_transferred_ = static_cast<std::size_t>(n);
        return op->bytes_transferred_ < op->buffer_.size() ? done_and_exhausted : done;
      }
      if (n == 0) {
        op->ec_ = op->buffer_.size() == 0 ? boost::system::error_code() : boost::asio::error::eof;
        return done_and_exhausted;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
      op->ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
      return done;
    }
  }

  // owner null: the io_context is being destroyed; free the operation without calling the handler.
  static void complete_recv(void* owner, adetail::operation* base, const boost::system::error_code&, std::size_t) {
    auto* op = static_cast<RecvOp*>(base);
    Handler handler(std::move(op->handler_));
    const boost::system::error_code ec = op->ec_;
    const std::size_t n = op->bytes_transferred_;
    delete op;
    if (owner) handler(ec, n);
  }

  int fd_;
  boost::asio::mutable_buffer buffer_;
  Handler handler_;
};

// The socket's reactor registration is a protected member of basic_socket: reached through a derived
// class's pointer to member.
template <typename Socket>
struct ImplAccess : Socket {
  static auto& implementation(Socket& socket) { return (socket.*(&ImplAccess::impl_)).get_implementation(); }
};

}  // namespace exhausting_read_detail
#endif

template <typename Socket, typename Handler>
void async_read_exhausting(Socket& socket, boost::asio::mutable_buffer buffer, Handler&& handler) {
#ifdef MCRELAY_EXHAUSTING_READ
  namespace d = exhausting_read_detail;
  if (socket.is_open() && socket.non_blocking()) {
    auto& impl = d::ImplAccess<Socket>::implementation(socket);
    auto& reactor = boost::asio::use_service<boost::asio::detail::reactor>(socket.get_executor().context());
    auto* op = new d::RecvOp<std::decay_t<Handler>>(impl.socket_, buffer, std::forward<Handler>(handler));
    reactor.start_op(boost::asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, op,
                     /*is_continuation=*/false, /*allow_speculative=*/true);
    return;
  }
#endif
  socket.async_read_some(buffer, std::forward<Handler>(handler));
}

}  // namespace mcrelay
