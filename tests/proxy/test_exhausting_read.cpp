// async_read_exhausting (proxy/exhausting_read.hpp) on a real socket pair: it reads what async_read_some
// reads, reports end of file and cancellation the same way, and loses no wakeup when data arrives between a
// short read and the next read (the case that skipping the speculative read could get wrong).
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/exhausting_read.hpp"

using namespace mcrelay;
namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;

namespace {

struct Pair {
  Pair() : a(io), b(io) {
    asio::local::connect_pair(a, b);
    a.non_blocking(true);
  }
  void send(std::string_view bytes) { asio::write(b, asio::buffer(bytes)); }

  asio::io_context io;
  Socket a, b;
};

struct Result {
  boost::system::error_code ec;
  std::string data;
};

// Starts one read of up to `size` bytes on p.a; the result lands in `out` when the handler runs.
void read(Pair& p, std::size_t size, std::optional<Result>& out, std::string& buf) {
  buf.assign(size, '\0');
  out.reset();
  async_read_exhausting(p.a, asio::buffer(buf), [&out, &buf](const boost::system::error_code& ec, std::size_t n) {
    out = Result{ec, buf.substr(0, n)};
  });
}

// Runs the loop until `out` is set or a second passes.
void wait_for(Pair& p, std::optional<Result>& out) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  p.io.restart();
  while (!out && std::chrono::steady_clock::now() < deadline) p.io.run_one_for(std::chrono::milliseconds(50));
}

}  // namespace

TEST_CASE("async_read_exhausting reads short and full buffers, then end of file", "[exhausting_read]") {
  Pair p;
  std::optional<Result> r;
  std::string buf;
  p.send("abc");
  read(p, 16, r, buf);
  CHECK_FALSE(r);  // never completes inline
  wait_for(p, r);
  REQUIRE(r);
  CHECK_FALSE(r->ec);
  CHECK(r->data == "abc");

  // A short read exhausted the socket: the next read waits, and gets what arrives later.
  read(p, 16, r, buf);
  p.io.restart();
  p.io.poll();
  CHECK_FALSE(r);
  p.send("de");
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->data == "de");

  // More than the buffer: two reads.
  p.send(std::string(20, 'x'));
  read(p, 16, r, buf);
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->data == std::string(16, 'x'));
  read(p, 16, r, buf);
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->data == std::string(4, 'x'));

  p.b.close();
  read(p, 16, r, buf);
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->ec == asio::error::eof);
}

TEST_CASE("async_read_exhausting loses no data that arrives between a short read and the next read",
          "[exhausting_read]") {
  Pair p;
  asio::steady_timer keep_running(p.io, std::chrono::hours(1));  // so that poll() runs the reactor
  keep_running.async_wait([](const boost::system::error_code&) {});
  std::optional<Result> r;
  std::string buf;
  p.send("first");
  read(p, 64, r, buf);
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->data == "first");
  // The reply arrives while no read is pending, and the reactor sees its readiness event first.
  p.send("second");
  p.io.restart();
  p.io.poll();
  read(p, 64, r, buf);
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->data == "second");
  keep_running.cancel();
}

TEST_CASE("async_read_exhausting: closing the socket cancels a pending read", "[exhausting_read]") {
  Pair p;
  std::optional<Result> r;
  std::string buf;
  read(p, 16, r, buf);
  p.io.poll();
  CHECK_FALSE(r);
  p.a.close();
  wait_for(p, r);
  REQUIRE(r);
  CHECK(r->ec == asio::error::operation_aborted);
}
