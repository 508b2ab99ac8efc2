#include "proxy/tls_accept.hpp"

#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "proxy/tls_context.hpp"

namespace mcrelay {

void tls_accept(boost::asio::io_context& io, Stream stream, std::chrono::milliseconds timeout,
                std::function<void(Stream)> ready, std::function<void(const std::string& why)> failed) {
  struct State {
    State(boost::asio::io_context& io, Stream s) : stream(std::move(s)), timer(io) {}
    Stream stream;
    boost::asio::steady_timer timer;
    bool timed_out = false;
  };
  auto st = std::make_shared<State>(io, std::move(stream));
  st->timer.expires_after(timeout);
  st->timer.async_wait([st](const boost::system::error_code& ec) {
    if (ec) return;  // the handshake finished first
    st->timed_out = true;
    st->stream.close();  // the handshake completes now, with an error
  });
  st->stream.async_handshake(boost::asio::ssl::stream_base::server,
                             [st, ready = std::move(ready), failed = std::move(failed)](const boost::system::error_code& ec) {
                               st->timer.cancel();
                               if (ec || st->timed_out) {
                                 std::string why = st->timed_out ? std::string("handshake timeout")
                                                                 : tls_error_text(st->stream.tls(), ec);
                                 st->stream.close();
                                 failed(why);
                                 return;
                               }
                               ready(std::move(st->stream));
                             });
}

}  // namespace mcrelay
