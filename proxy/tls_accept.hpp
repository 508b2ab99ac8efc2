#pragma once
// tls_accept: the server side of a TLS handshake with a client of a --ssl-port listener, under a deadline.
//
// A client that connects and sends nothing, or sends garbage, costs this worker one socket and one timer
// until the deadline; other clients are served meanwhile (the handshake is asynchronous), and a failed
// handshake closes only its own connection. Failures are logged at debug level (a port scanner must not fill
// the log), with OpenSSL's reason.
//
// Contract: worker thread. `ready` runs on that thread with the stream once the handshake succeeded;
// `failed` runs instead (the stream already closed) on error or timeout. Exactly one of them runs, unless
// the io_context stops first.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "proxy/stream.hpp"

namespace mcrelay {

void tls_accept(boost::asio::io_context& io, Stream stream, std::chrono::milliseconds timeout,
                std::function<void(Stream)> ready, std::function<void(const std::string& why)> failed);

}  // namespace mcrelay
