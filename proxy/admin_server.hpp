#pragma once
// AdminServer: the HTTP listener for operators and Kubernetes (--admin-port), built on Boost.Beast.
//
//   GET /healthz   200 when every worker's event loop answers within a second (liveness)
//   GET /readyz    200 when a config is loaded and the listeners are up; 503 while draining (readiness)
//   GET /metrics   Prometheus text exposition format
//   GET /config    the running config as JSON (with its source, md5 and generation)
//   GET /route?op=get&key=K   the destinations a request would reach, as JSON
//
// With a token (--admin-token-file; required when the listener is not on a loopback address), every path but
// /healthz and /readyz (the kubelet's probes carry no credentials) needs "Authorization: Bearer <token>";
// without it: 401 with a WWW-Authenticate challenge, before the path is even looked at (an unauthenticated
// client learns nothing, not even which paths exist).
//
// Contract: runs on the main/control thread's io_context, never on a worker. Requests are bounded
// (8 KiB of headers, no body, 10 s to send them); anything malformed gets a 4xx and the connection closes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace mcrelay {

class AdminToken;
class ProxyServer;

struct AdminResponse {
  AdminResponse(unsigned s = 200, std::string type = "text/plain; charset=utf-8", std::string text = {})
      : status(s), content_type(std::move(type)), body(std::move(text)) {}
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string www_authenticate;  // non-empty: sent as the WWW-Authenticate header (401)
};

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, ProxyServer& server, const std::string& address, std::uint16_t port);
  ~AdminServer();
  std::uint16_t port() const;
  void start();
  void stop();

  // From now on every path but /healthz and /readyz needs this token (before start()).
  void require_token(std::unique_ptr<AdminToken> token);

  // The routing of one request, separate from I/O (unit-testable). `respond` may be called later (healthz).
  // `authorization`: the request's Authorization header ("" when absent).
  void handle(const std::string& method, const std::string& target, std::string_view authorization,
              std::function<void(AdminResponse)> respond);

 private:
  void accept();

  boost::asio::io_context& io_;
  ProxyServer& server_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<AdminToken> token_;  // null: no token required (loopback only)
  bool stopped_ = false;
};

// "%2F" -> "/", "+" -> " "; returns false on a malformed escape.
bool url_decode(std::string_view in, std::string& out);

}  // namespace mcrelay
