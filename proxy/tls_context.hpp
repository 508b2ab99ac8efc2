#pragma once
// TLS contexts (OpenSSL through boost::asio::ssl) for both sides of the proxy, with mcrouter's flags:
//   clients -> mcrelay: --ssl-port, --server-pem-cert-path, --server-pem-key-path, --server-pem-ca-path,
//                       --ssl-require-peer-certs (mutual TLS);
//   mcrelay -> servers: pool "use_ssl": true (or the server address's security field "ssl"), with
//                       --pem-cert-path, --pem-key-path (client certificate, optional), --pem-ca-path (the
//                       CA the servers' certificates are checked against; the system's CAs without it), and
//                       the name checked: --ssl-service-identity, else the server's host.
//
// Contract: the make_* functions run on the main/control thread (start-up, certificate reload) and throw
// std::runtime_error with an operator-facing message naming the file at fault. An asio ssl::context is
// immutable once built and shared by the workers: SSL objects are created from it on any thread (OpenSSL
// makes SSL_new on a shared SSL_CTX thread-safe). The other functions are called on the thread that owns
// the stream.
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace mcrelay {

struct TlsFiles {
  std::string cert;  // PEM certificate chain (leaf first)
  std::string key;   // PEM private key of `cert`
  std::string ca;    // PEM CA bundle that peers' certificates must chain to; empty: see the make_* functions
};

// Server side: `files.cert` and `files.key` are required. With `require_peer_certs`, clients must present a
// certificate that chains to `files.ca` (required then); otherwise a client certificate is checked only when
// one is sent and `files.ca` is set.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsFiles& files, bool require_peer_certs);

// Client side (to servers): the server's certificate is always verified: against `files.ca`, or the system's
// default CA paths when it is empty. `files.cert`/`files.key` (both or neither) are sent when a server asks.
// Sessions are cached by the caller (TlsSessionCache), not in the context.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const TlsFiles& files);

// Before the handshake of a client stream: SNI (for a host name) and the name the server's certificate must
// carry (a DNS name, or an IP address matched against the certificate's IP SANs). Returns false if OpenSSL
// refused the name.
bool expect_server_name(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream, const std::string& name);

// A handshake error as an operator should read it: OpenSSL's reason, plus the certificate check's verdict
// when that is what failed ("certificate verify failed: unable to get local issuer certificate").
std::string tls_error_text(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                           const boost::system::error_code& ec);

// The TLS session of the last handshake to one server, offered again on reconnects so the server can
// resume it (an abbreviated handshake: no certificate exchange, no key-exchange signature).
// Owned by one UpstreamConnection (worker thread). With TLS 1.3 the session arrives after the handshake, in
// a NewSessionTicket message read with the first replies: remember() is called again when the connection
// closes to keep the newest one.
class TlsSessionCache {
 public:
  TlsSessionCache() = default;
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;
  ~TlsSessionCache();
  // Before the handshake: offer the remembered session, if any.
  void offer(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream);
  // After a handshake, after the first replies, or before closing: keep the stream's session if it can be
  // resumed (returns whether it could).
  bool remember(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream);
  void forget();

 private:
  void* session_ = nullptr;  // SSL_SESSION*, owned (kept out of this header's includes)
};

}  // namespace mcrelay
