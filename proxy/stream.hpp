#pragma once
// Stream: the byte stream under a ClientSession or an UpstreamConnection: a TCP socket, a Unix domain socket,
// or TLS over TCP (OpenSSL through boost::asio::ssl).
//
// A std::variant, not a virtual interface: each operation is one switch on the kind and then the socket's own
// inline call, so the plain TCP path costs what it cost before (bench/run_bench.py measures it).
//
// The synchronous read_some/write_some are the non-blocking fast paths of the plain sockets. On a TLS stream
// they do nothing and report would_block, so callers take their asynchronous path: a synchronous SSL_write on
// a non-blocking socket could encrypt a record and then fail to send it, which no caller could recover from.
//
// Contract: owned and used by one worker thread, like the socket it wraps. A TLS operation's continuation
// uses the TLS state after the socket's own operation completes, even when it completes as cancelled: every
// TLS handler given to a Stream holds a reference to that state, so destroying or replacing a Stream with
// operations pending (a reset, a closed client) is safe, as it is for plain sockets.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

namespace mcrelay {

class Stream {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Unix = boost::asio::local::stream_protocol::socket;
  using TlsStream = boost::asio::ssl::stream<Tcp>;
  struct Tls {
    Tls(Tcp socket, std::shared_ptr<boost::asio::ssl::context> c) : ctx(std::move(c)), stream(std::move(socket), *ctx) {}
    // The SSL object holds its own reference to the SSL_CTX; this keeps asio's wrapper (and whatever it
    // owns: callbacks, passwords) alive as long as the connection, across certificate reloads.
    std::shared_ptr<boost::asio::ssl::context> ctx;
    TlsStream stream;
  };
  enum class Kind : std::uint8_t { tcp = 0, unix_socket = 1, tls = 2 };

  explicit Stream(Tcp socket) : v_(std::move(socket)) {}
  explicit Stream(Unix socket) : v_(std::move(socket)) {}
  Stream(Tcp socket, std::shared_ptr<boost::asio::ssl::context> ctx)
      : v_(std::make_shared<Tls>(std::move(socket), std::move(ctx))) {}

  Kind kind() const noexcept { return static_cast<Kind>(v_.index()); }
  bool is_tls() const noexcept { return kind() == Kind::tls; }
  TlsStream& tls() noexcept { return std::get<2>(v_)->stream; }
  // The TCP socket of a TCP or TLS stream (options, connect); null for a Unix socket.
  Tcp* tcp_socket() noexcept {
    switch (kind()) {
      case Kind::tcp: return &std::get<0>(v_);
      case Kind::tls: return &std::get<2>(v_)->stream.next_layer();
      default: return nullptr;
    }
  }

  Unix* unix_socket() noexcept { return kind() == Kind::unix_socket ? &std::get<1>(v_) : nullptr; }

  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    switch (kind()) {
      case Kind::tcp: std::get<0>(v_).async_read_some(buffers, std::forward<Handler>(handler)); return;
      case Kind::unix_socket: std::get<1>(v_).async_read_some(buffers, std::forward<Handler>(handler)); return;
      case Kind::tls: std::get<2>(v_)->stream.async_read_some(buffers, keep_alive(std::forward<Handler>(handler))); return;
    }
  }

  // Writes all of `buffers` (several socket writes if need be), then calls the handler.
  template <typename Buffers, typename Handler>
  void async_write(const Buffers& buffers, Handler&& handler) {
    switch (kind()) {
      case Kind::tcp: boost::asio::async_write(std::get<0>(v_), buffers, std::forward<Handler>(handler)); return;
      case Kind::unix_socket:
        boost::asio::async_write(std::get<1>(v_), buffers, std::forward<Handler>(handler));
        return;
      case Kind::tls:
        boost::asio::async_write(std::get<2>(v_)->stream, buffers, keep_alive(std::forward<Handler>(handler)));
        return;
    }
  }

  // TLS streams only: the handshake (server side for accepted clients, client side to servers).
  template <typename Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    std::get<2>(v_)->stream.async_handshake(type, keep_alive(std::forward<Handler>(handler)));
  }

  // Non-blocking fast paths (see the header comment): TLS reports would_block.
  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    switch (kind()) {
      case Kind::tcp: return std::get<0>(v_).read_some(buffers, ec);
      case Kind::unix_socket: return std::get<1>(v_).read_some(buffers, ec);
      default: ec = boost::asio::error::would_block; return 0;
    }
  }
  template <typename Buffers>
  std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    switch (kind()) {
      case Kind::tcp: return std::get<0>(v_).write_some(buffers, ec);
      case Kind::unix_socket: return std::get<1>(v_).write_some(buffers, ec);
      default: ec = boost::asio::error::would_block; return 0;
    }
  }

  // TCP_NODELAY (TCP and TLS) and non-blocking mode (plain sockets: their fast paths need it).
  void prepare() noexcept;
  // Cancels pending operations and closes the socket (no TLS close_notify: memcached clients do not wait
  // for one, and a peer that stopped reading must not hold the close).
  void close() noexcept;
  bool is_open() const noexcept;
  int native_handle() noexcept;
  // The peer's IP address as text; empty for a Unix socket or a closed one.
  std::string remote_ip() const;

 private:
  template <typename Handler>
  auto keep_alive(Handler&& handler) {
    return [state = std::get<2>(v_), h = std::forward<Handler>(handler)](auto&&... args) mutable {
      h(std::forward<decltype(args)>(args)...);
    };
  }

  std::variant<Tcp, Unix, std::shared_ptr<Tls>> v_;
};

}  // namespace mcrelay
