#include "proxy/admin_server.hpp"

#include <map>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "proxy/admin_token.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/route_lookup.hpp"
#include "proxy/stats_report.hpp"
#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

namespace {

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(asio::ip::tcp::socket socket, AdminServer& admin) : stream_(std::move(socket)), admin_(admin) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(4096);  // a small body is read (and ignored) so a POST gets its 405, not a 400
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec == http::error::end_of_stream) {
        error_code ignored;
        self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        return;
      }
      if (ec) {
        if (ec != asio::error::operation_aborted && ec != beast::error::timeout) {
          self->write(AdminResponse{400, "text/plain; charset=utf-8", "bad request\n"}, false, 11, false);
        }
        return;
      }
      auto& req = self->parser_->get();
      bool keep_alive = req.keep_alive();
      unsigned version = req.version();
      bool head = req.method() == http::verb::head;
      std::string authorization(req[http::field::authorization]);
      self->admin_.handle(std::string(req.method_string()), std::string(req.target()), authorization,
                          [self, keep_alive, version, head](AdminResponse r) {
                            self->write(std::move(r), keep_alive, version, head);
                          });
    });
  }

  void write(AdminResponse r, bool keep_alive, unsigned version, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "mcrelay/" MCRELAY_VERSION);
    res->set(http::field::content_type, r.content_type);
    if (!r.www_authenticate.empty()) res->set(http::field::www_authenticate, r.www_authenticate);
    res->keep_alive(keep_alive);
    if (head) {
      // HEAD: the headers of the GET, no body.
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    http::async_write(stream_, *res, [self = shared_from_this(), res](const error_code& ec, std::size_t) {
      if (ec || !res->keep_alive()) {
        error_code ignored;
        self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        return;
      }
      self->read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8 * 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  AdminServer& admin_;
};

std::map<std::string, std::string> parse_query(std::string_view q, bool& ok) {
  std::map<std::string, std::string> out;
  ok = true;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q.remove_prefix(amp == std::string_view::npos ? q.size() : amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k, v;
    if (!url_decode(part.substr(0, eq), k) ||
        !url_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), v)) {
      ok = false;
      return out;
    }
    out[k] = v;
  }
  return out;
}

AdminResponse json_response(unsigned status, const nlohmann::json& j) {
  return AdminResponse{status, "application/json", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, ProxyServer& server, const std::string& address, std::uint16_t port)
    : io_(io), server_(server), acceptor_(io) {
  asio::ip::tcp::endpoint ep(asio::ip::make_address(address), port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
}

AdminServer::~AdminServer() = default;

void AdminServer::require_token(std::unique_ptr<AdminToken> token) { token_ = std::move(token); }

std::uint16_t AdminServer::port() const { return acceptor_.local_endpoint().port(); }

void AdminServer::start() { accept(); }

void AdminServer::stop() {
  stopped_ = true;
  error_code ec;
  acceptor_.close(ec);
}

void AdminServer::accept() {
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      std::make_shared<AdminSession>(std::move(socket), *this)->start();
    } else if (ec != asio::error::operation_aborted) {
      log::warn("admin: accept failed: {}", ec.message());
    }
    accept();
  });
}

void AdminServer::handle(const std::string& method, const std::string& target, std::string_view authorization,
                         std::function<void(AdminResponse)> respond) {
  if (method != "GET" && method != "HEAD") {
    respond(AdminResponse{405, "text/plain; charset=utf-8", "only GET is supported\n"});
    return;
  }
  std::string_view t(target);
  auto qpos = t.find('?');
  std::string_view path = t.substr(0, qpos);
  std::string_view query = qpos == std::string_view::npos ? std::string_view{} : t.substr(qpos + 1);

  if (path == "/healthz") {
    server_.check_event_loops([respond](bool ok, std::string detail) {
      respond(AdminResponse{ok ? 200u : 503u, "text/plain; charset=utf-8", detail + "\n"});
    });
    return;
  }
  if (path == "/readyz") {
    std::string why;
    bool ready = server_.ready(why);
    respond(AdminResponse{ready ? 200u : 503u, "text/plain; charset=utf-8", (ready ? "ready" : why) + "\n"});
    return;
  }
  // Everything below needs the token, when there is one.
  if (token_ && !token_->authorized(authorization)) {
    AdminResponse r{401, "text/plain; charset=utf-8",
                    authorization.empty() ? "authorization required: Authorization: Bearer <token>\n"
                                          : "invalid token\n"};
    r.www_authenticate = authorization.empty() ? R"(Bearer realm="mcrelay")"
                                               : R"(Bearer realm="mcrelay", error="invalid_token")";
    respond(std::move(r));
    return;
  }
  if (path == "/metrics") {
    // Every worker copies its counters on its own thread; the response is rendered once all have answered.
    server_.collect_stats(io_, [this, respond](StatsTotals totals) {
      respond(AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(server_, totals)});
    });
    return;
  }
  if (path == "/config") {
    auto cfg = server_.config();
    nlohmann::json j = {{"source", cfg->config.source},
                        {"md5", cfg->md5},
                        {"generation", cfg->generation},
                        {"config", cfg->config.root}};
    respond(json_response(200, j));
    return;
  }
  if (path == "/route") {
    bool ok = false;
    auto q = parse_query(query, ok);
    if (!ok || !q.contains("key") || q["key"].empty()) {
      respond(json_response(400, {{"error", "usage: /route?op=get&key=KEY"}}));
      return;
    }
    std::string op_text = q.contains("op") ? q["op"] : "get";
    auto op = parse_op_name(op_text);
    if (!op) {
      respond(json_response(400, {{"error", "unknown op \"" + op_text + "\""}}));
      return;
    }
    if (q["key"].size() > 250) {
      respond(json_response(400, {{"error", "key longer than 250 bytes"}}));
      return;
    }
    auto dests = route_destinations(*server_.config(), *op, q["key"]);
    respond(json_response(200, {{"op", op_text}, {"key", q["key"]}, {"destinations", dests}}));
    return;
  }
  if (path == "/") {
    respond(AdminResponse{200, "text/plain; charset=utf-8",
                          "mcrelay " MCRELAY_VERSION ": /healthz /readyz /metrics /config /route?op=get&key=K\n"});
    return;
  }
  respond(AdminResponse{404, "text/plain; charset=utf-8", "not found\n"});
}

}  // namespace mcrelay
