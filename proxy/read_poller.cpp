#include "proxy/read_poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

namespace mcrelay {

namespace {
std::uint32_t index_of(ReadPoller::Token t) noexcept { return static_cast<std::uint32_t>(t & 0xffffffffu) - 1; }
std::uint32_t generation_of(ReadPoller::Token t) noexcept { return static_cast<std::uint32_t>(t >> 32); }
}  // namespace

ReadPoller::ReadPoller(boost::asio::io_context& io) : epfd_(::epoll_create1(EPOLL_CLOEXEC)), desc_(io) {
  if (epfd_ < 0) return;
  boost::system::error_code ec;
  desc_.assign(::dup(epfd_), ec);  // Asio owns (and closes) its own descriptor of the set
  if (ec) {
    ::close(epfd_);
    epfd_ = -1;
  }
}

ReadPoller::~ReadPoller() {
  boost::system::error_code ec;
  desc_.close(ec);
  if (epfd_ >= 0) ::close(epfd_);
}

ReadPoller::Token ReadPoller::add(int fd, Waiter& waiter) {
  if (epfd_ < 0) return kNoToken;
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[index];
  e.waiter = &waiter;
  e.waiting = false;
  e.peer_closed = false;
  Token token = (static_cast<Token>(e.generation) << 32) | (index + 1);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    e.waiter = nullptr;
    ++e.generation;
    free_.push_back(index);
    return kNoToken;
  }
  ++registered_;
  return token;
}

void ReadPoller::wait(Token token) {
  std::uint32_t index = index_of(token);
  if (index >= entries_.size() || entries_[index].generation != generation_of(token)) return;
  if (!entries_[index].waiting) {
    entries_[index].waiting = true;
    ++waiting_;
  }
  arm();
}

bool ReadPoller::peer_closed(Token token) const noexcept {
  std::uint32_t index = index_of(token);
  return token != kNoToken && index < entries_.size() && entries_[index].generation == generation_of(token) &&
         entries_[index].peer_closed;
}

void ReadPoller::remove(Token token, int fd) noexcept {
  std::uint32_t index = index_of(token);
  if (token == kNoToken || index >= entries_.size() || entries_[index].generation != generation_of(token)) return;
  if (fd >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // the socket may stay open a little longer
  Entry& e = entries_[index];
  e.waiter = nullptr;
  if (e.waiting) --waiting_;
  e.waiting = false;
  ++e.generation;  // an event already fetched for the old socket finds no one
  free_.push_back(index);
  --registered_;
}

void ReadPoller::arm() {
  if (armed_ || epfd_ < 0) return;
  armed_ = true;
  desc_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    armed_ = false;
    if (ec) return;  // the worker is stopping
    on_ready();
  });
}

void ReadPoller::on_ready() {
  epoll_event events[256];
  int n = ::epoll_wait(epfd_, events, 256, 0);
  // Gather first: a waiter's on_readable() may add, remove or wait on entries.
  Token ready[256];
  int nready = 0;
  for (int i = 0; i < n; ++i) {
    Token token = events[i].data.u64;
    std::uint32_t index = index_of(token);
    if (index >= entries_.size()) continue;
    Entry& e = entries_[index];
    if (e.generation != generation_of(token) || !e.waiter) continue;
    // Kept even when the edge itself is dropped: the session reads until end of file before it waits again.
    if (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) e.peer_closed = true;
    // An edge while its session is busy or paused is dropped: the session reads before it waits again.
    if (!e.waiting) continue;
    e.waiting = false;
    --waiting_;
    ready[nready++] = token;
  }
  if (waiting_ > 0) arm();
  for (int i = 0; i < nready; ++i) {
    Entry& e = entries_[index_of(ready[i])];
    if (e.generation == generation_of(ready[i]) && e.waiter) e.waiter->on_readable();
  }
}

}  // namespace mcrelay
