#pragma once
// A ServerContext for tests that run Workers without a ProxyServer: its own health registry, no spool, no
// TLS, every connection admitted.
#include <string>

#include "proxy/server_context.hpp"
#include "proxy/server_health.hpp"

namespace mcrelay::test {

class FakeServerContext final : public ServerContext {
 public:
  HealthRegistry& health() noexcept override { return health_; }
  DeleteSpool* spool() noexcept override { return nullptr; }
  bool admit_connection() noexcept override { return true; }
  void release_connection() noexcept override {}
  std::shared_ptr<boost::asio::ssl::context> server_tls_context() const override { return nullptr; }
  std::shared_ptr<boost::asio::ssl::context> client_tls_context() const noexcept override { return nullptr; }
  const std::string& client_tls_error() const noexcept override { return error_; }
  std::size_t worker_count() const noexcept override { return 1; }
  void render_stats(std::string_view, boost::asio::io_context&, UniqueFunction<void(std::string)>) override {}
  void request_shutdown() override {}

 private:
  HealthRegistry health_{3};
  std::string error_ = "no TLS in tests";
};

}  // namespace mcrelay::test
