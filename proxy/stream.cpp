#include "proxy/stream.hpp"

#include <openssl/ssl.h>

namespace mcrelay {

using boost::system::error_code;

void Stream::prepare() noexcept {
  error_code ec;
  switch (kind()) {
    case Kind::tcp:
      std::get<0>(v_).set_option(boost::asio::ip::tcp::no_delay(true), ec);
      std::get<0>(v_).non_blocking(true, ec);
      return;
    case Kind::unix_socket:
      std::get<1>(v_).non_blocking(true, ec);
      return;
    case Kind::tls:
      std::get<2>(v_)->stream.next_layer().set_option(boost::asio::ip::tcp::no_delay(true), ec);
      return;
  }
}

void Stream::close() noexcept {
  error_code ec;
  switch (kind()) {
    case Kind::tcp:
      std::get<0>(v_).shutdown(boost::asio::socket_base::shutdown_both, ec);
      std::get<0>(v_).close(ec);
      return;
    case Kind::unix_socket:
      std::get<1>(v_).shutdown(boost::asio::socket_base::shutdown_both, ec);
      std::get<1>(v_).close(ec);
      return;
    case Kind::tls:
      // Marked as shut down cleanly: OpenSSL otherwise flags the connection's session as not resumable when
      // the SSL object is freed, and the session kept for the next connect (TlsSessionCache) is that object.
      SSL_set_shutdown(std::get<2>(v_)->stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
      std::get<2>(v_)->stream.next_layer().shutdown(boost::asio::socket_base::shutdown_both, ec);
      std::get<2>(v_)->stream.next_layer().close(ec);
      return;
  }
}

bool Stream::is_open() const noexcept {
  switch (kind()) {
    case Kind::tcp: return std::get<0>(v_).is_open();
    case Kind::unix_socket: return std::get<1>(v_).is_open();
    case Kind::tls: return std::get<2>(v_)->stream.next_layer().is_open();
  }
  return false;
}

int Stream::native_handle() noexcept {
  switch (kind()) {
    case Kind::tcp: return std::get<0>(v_).native_handle();
    case Kind::unix_socket: return std::get<1>(v_).native_handle();
    case Kind::tls: return std::get<2>(v_)->stream.next_layer().native_handle();
  }
  return -1;
}

std::string Stream::remote_ip() const {
  error_code ec;
  const Tcp* s = nullptr;
  if (kind() == Kind::tcp) s = &std::get<0>(v_);
  if (kind() == Kind::tls) s = &std::get<2>(v_)->stream.next_layer();
  if (s == nullptr) return {};
  auto ep = s->remote_endpoint(ec);
  return ec ? std::string() : ep.address().to_string();
}

}  // namespace mcrelay
