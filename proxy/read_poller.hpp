#pragma once
// ReadPoller: one worker's edge-triggered epoll set for the readability of its plain (TCP, Unix) client
// sockets, so a client session reads until a short read and then waits without another system call.
//
// Why not Asio's async_read_some: Asio 1.81 starts every read with a speculative recv, and right after a
// request was read that recv returns EAGAIN (the client waits for its reply): one wasted syscall per request.
// Its async_wait instead pays an epoll_ctl(EPOLL_CTL_MOD) per wait. Here each socket is added once
// (EPOLLIN | EPOLLRDHUP | EPOLLET), and the set itself is waited on through Asio once per loop turn (one
// epoll_ctl and one epoll_wait per turn, whatever the number of clients served in it). docs/performance.md
// has the counts.
//
// Contract: owned by one worker and used on its thread only. add() before the first wait; remove() before
// the socket is closed. A waiter's on_readable() runs from the worker's loop, never inside add()/wait().
// Falls back to nothing: if the epoll set cannot be created, ok() is false and sessions use Asio's reads.
#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace mcrelay {

class ReadPoller {
 public:
  class Waiter {
   public:
    virtual void on_readable() = 0;

   protected:
    ~Waiter() = default;
  };
  using Token = std::uint64_t;
  static constexpr Token kNoToken = 0;

  explicit ReadPoller(boost::asio::io_context& io);
  ~ReadPoller();
  ReadPoller(const ReadPoller&) = delete;
  ReadPoller& operator=(const ReadPoller&) = delete;

  bool ok() const noexcept { return epfd_ >= 0; }
  // Registers `fd`; returns kNoToken on failure (the caller reads through Asio instead).
  Token add(int fd, Waiter& waiter);
  // `waiter` wants one on_readable() at the next edge (new bytes, EOF or an error on the socket).
  void wait(Token token);
  // Whether an edge has reported the peer's FIN (or a hang-up or an error) on this socket. A short read does
  // not mean the socket is drained then: a FIN that arrived with the last bytes brings no edge of its own,
  // so the reader must read on until end of file instead of waiting.
  bool peer_closed(Token token) const noexcept;
  void remove(Token token, int fd) noexcept;

 private:
  struct Entry {
    Waiter* waiter = nullptr;
    std::uint32_t generation = 1;
    bool waiting = false;
    bool peer_closed = false;  // sticky: set by any edge with EPOLLRDHUP, EPOLLHUP or EPOLLERR
  };
  void arm();
  void on_ready();

  int epfd_ = -1;
  boost::asio::posix::stream_descriptor desc_;
  bool armed_ = false;
  std::size_t registered_ = 0;
  std::size_t waiting_ = 0;  // entries waiting for an edge: the set is waited on while any is
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_;
};

}  // namespace mcrelay
