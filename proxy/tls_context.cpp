#include "proxy/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace mcrelay {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 and 1.3 only, as memcached's default minimum (ssl_min_version tlsv1.2).
constexpr long kOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use;

// Runs one step of loading, naming the flag and file in the message when it fails.
template <typename F>
void load(const char* flag, const std::string& path, F&& step) {
  try {
    step();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("{} {}: {}", flag, path, e.code().message()));
  }
}

void load_cert_and_key(ssl::context& ctx, const TlsFiles& files, const char* cert_flag, const char* key_flag) {
  load(cert_flag, files.cert, [&] { ctx.use_certificate_chain_file(files.cert); });
  load(key_flag, files.key, [&] { ctx.use_private_key_file(files.key, ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error(fmt::format("{} {} is not the key of the certificate in {} {}", key_flag, files.key,
                                         cert_flag, files.cert));
  }
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const TlsFiles& files, bool require_peer_certs) {
  if (files.cert.empty() || files.key.empty()) {
    throw std::runtime_error("TLS listeners (--ssl-port) need --server-pem-cert-path and --server-pem-key-path");
  }
  if (require_peer_certs && files.ca.empty()) {
    throw std::runtime_error("--ssl-require-peer-certs needs --server-pem-ca-path (the CA of client certificates)");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(kOptions);
  load_cert_and_key(*ctx, files, "--server-pem-cert-path", "--server-pem-key-path");
  if (!files.ca.empty()) {
    load("--server-pem-ca-path", files.ca, [&] { ctx->load_verify_file(files.ca); });
    // The CA names go in the CertificateRequest, so a client with several certificates picks the right one.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(require_peer_certs ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert : ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  // Sessions resumed by clients (TLS 1.2 session IDs, TLS 1.3 tickets) are per context: a reload starts afresh.
  static const unsigned char kSessionId[] = "mcrelay";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionId, sizeof(kSessionId) - 1);
  return ctx;
}

std::shared_ptr<ssl::context> make_client_tls_context(const TlsFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(kOptions);
  if (files.cert.empty() != files.key.empty()) {
    throw std::runtime_error("--pem-cert-path and --pem-key-path go together (the client certificate and its key)");
  }
  if (!files.cert.empty()) load_cert_and_key(*ctx, files, "--pem-cert-path", "--pem-key-path");
  if (!files.ca.empty()) {
    load("--pem-ca-path", files.ca, [&] { ctx->load_verify_file(files.ca); });
  } else {
    ctx->set_default_verify_paths();
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

bool expect_server_name(ssl::stream<asio::ip::tcp::socket>& stream, const std::string& name) {
  SSL* s = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(s);
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;  // no SNI for an address (RFC 6066)
  SSL_set_tlsext_host_name(s, name.c_str());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(s, name.c_str()) == 1;
}

std::string tls_error_text(ssl::stream<asio::ip::tcp::socket>& stream, const boost::system::error_code& ec) {
  std::string text = ec.message();
  const long verdict = SSL_get_verify_result(stream.native_handle());
  if (verdict != X509_V_OK) text += fmt::format(": {}", X509_verify_cert_error_string(verdict));
  return text;
}

TlsSessionCache::~TlsSessionCache() { forget(); }

void TlsSessionCache::offer(ssl::stream<asio::ip::tcp::socket>& stream) {
  if (session_ != nullptr) SSL_set_session(stream.native_handle(), static_cast<SSL_SESSION*>(session_));
}

bool TlsSessionCache::remember(ssl::stream<asio::ip::tcp::socket>& stream) {
  SSL_SESSION* s = SSL_get1_session(stream.native_handle());
  if (s == nullptr) return false;
  if (SSL_SESSION_is_resumable(s) != 1) {
    SSL_SESSION_free(s);
    return false;
  }
  forget();
  session_ = s;
  return true;
}

void TlsSessionCache::forget() {
  if (session_ != nullptr) SSL_SESSION_free(static_cast<SSL_SESSION*>(session_));
  session_ = nullptr;
}

}  // namespace mcrelay
