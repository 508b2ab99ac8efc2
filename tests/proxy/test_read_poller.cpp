// ReadPoller (proxy/read_poller.hpp): one edge-triggered epoll set per worker, waited on through Asio. Real
// Unix socket pairs, one io_context, no thread.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <cstring>
#include <memory>
#include <vector>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "proxy/read_poller.hpp"

using namespace mcrelay;

namespace {

struct Counter final : ReadPoller::Waiter {
  int calls = 0;
  void on_readable() override { ++calls; }
};

struct Pair {
  int fds[2] = {-1, -1};
  Pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0); }
  ~Pair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void send(const char* s) { REQUIRE(::write(fds[1], s, std::strlen(s)) == static_cast<ssize_t>(std::strlen(s))); }
  void drain() {
    char buf[256];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
  }
};

void turn(boost::asio::io_context& io) {
  io.restart();
  io.poll();
}

}  // namespace

TEST_CASE("read poller: a waiter is called once per edge, only while it waits", "[read_poller]") {
  boost::asio::io_context io;
  ReadPoller poller(io);
  REQUIRE(poller.ok());
  Pair p;
  Counter c;
  auto token = poller.add(p.fds[0], c);
  REQUIRE(token != ReadPoller::kNoToken);

  poller.wait(token);
  turn(io);
  CHECK(c.calls == 0);  // nothing to read yet

  p.send("get a\r\n");
  turn(io);
  CHECK(c.calls == 1);
  p.drain();

  // Not waiting: the edge is dropped (the session reads before it waits again).
  p.send("get b\r\n");
  turn(io);
  CHECK(c.calls == 1);
  p.drain();

  poller.wait(token);
  p.send("get c\r\n");
  turn(io);
  CHECK(c.calls == 2);
  p.drain();

  SECTION("EOF is an edge too") {
    poller.wait(token);
    ::shutdown(p.fds[1], SHUT_WR);
    turn(io);
    CHECK(c.calls == 3);
  }
  SECTION("a removed socket is never reported, even with its edge already pending") {
    poller.wait(token);
    p.send("x");
    poller.remove(token, p.fds[0]);
    turn(io);
    CHECK(c.calls == 2);
    Counter other;
    auto t2 = poller.add(p.fds[0], other);  // the slot is reused under a new generation
    CHECK(t2 != token);
    poller.wait(token);  // a stale token does nothing
    turn(io);
    CHECK(other.calls == 0);
  }
}

TEST_CASE("read poller: many sockets, one wait per turn", "[read_poller]") {
  boost::asio::io_context io;
  ReadPoller poller(io);
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<Counter> counters(20);
  std::vector<ReadPoller::Token> tokens;
  for (auto& c : counters) {
    pairs.push_back(std::make_unique<Pair>());
    tokens.push_back(poller.add(pairs.back()->fds[0], c));
    poller.wait(tokens.back());
  }
  for (std::size_t i = 0; i < pairs.size(); i += 2) pairs[i]->send("mn\r\n");
  turn(io);
  for (std::size_t i = 0; i < counters.size(); ++i) CHECK(counters[i].calls == (i % 2 == 0 ? 1 : 0));
  pairs[1]->send("mn\r\n");
  turn(io);
  CHECK(counters[1].calls == 1);
}

// A FIN that arrives with the last bytes brings no edge of its own: a reader that took a short read for
// "drained" would wait forever (a client that sends its request and half-closes, a server that sends part of
// a reply and closes). The poller remembers the FIN the edge reported, so the reader reads on to the end.
TEST_CASE("read poller: a FIN that came with the data is reported by peer_closed", "[read_poller]") {
  boost::asio::io_context io;
  ReadPoller poller(io);
  REQUIRE(poller.ok());
  Pair p;
  Counter c;
  auto token = poller.add(p.fds[0], c);
  REQUIRE(token != ReadPoller::kNoToken);
  poller.wait(token);
  CHECK_FALSE(poller.peer_closed(token));

  p.send("get a\r\n");
  REQUIRE(::shutdown(p.fds[1], SHUT_WR) == 0);  // before the poller looks: one edge for both
  turn(io);
  CHECK(c.calls == 1);
  CHECK(poller.peer_closed(token));
  char buf[256];
  CHECK(::read(p.fds[0], buf, sizeof buf) == 7);  // short: all the data, not yet the end of file
  CHECK(::read(p.fds[0], buf, sizeof buf) == 0);  // the end of file, with no further edge needed

  // Without a FIN, a short read is the end of what there is: peer_closed stays false.
  Pair q;
  Counter d;
  auto t2 = poller.add(q.fds[0], d);
  poller.wait(t2);
  q.send("get b\r\n");
  turn(io);
  CHECK(d.calls == 1);
  CHECK_FALSE(poller.peer_closed(t2));
  poller.remove(token, p.fds[0]);
  poller.remove(t2, q.fds[0]);
  CHECK_FALSE(poller.peer_closed(token));  // a removed token reports nothing
}
