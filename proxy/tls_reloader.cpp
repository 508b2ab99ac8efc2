#include "proxy/tls_reloader.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "util/logging.hpp"

namespace mcrelay {

TlsReloader::TlsReloader(TlsFiles files, bool require_peer_certs)
    : files_(std::move(files)), require_peer_certs_(require_peer_certs) {
  loaded_fingerprint_ = fingerprint();
  ctx_ = make_server_tls_context(files_, require_peer_certs_);
}

void TlsReloader::start(boost::asio::io_context& control, std::chrono::milliseconds interval) {
  interval_ = interval;
  timer_ = std::make_unique<boost::asio::steady_timer>(control);
  schedule();
}

void TlsReloader::stop() {
  if (timer_) timer_->cancel();
}

void TlsReloader::schedule() {
  timer_->expires_after(interval_);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    poll();
    schedule();
  });
}

std::shared_ptr<boost::asio::ssl::context> TlsReloader::current() const {
  std::lock_guard lock(mu_);
  return ctx_;
}

std::string TlsReloader::fingerprint() const {
  std::string out;
  for (const std::string* path : {&files_.cert, &files_.key, &files_.ca}) {
    if (path->empty()) continue;
    struct stat st{};
    if (::stat(path->c_str(), &st) != 0) return {};
    out += fmt::format("{}:{}:{}:{}.{};", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  return out;
}

bool TlsReloader::poll() {
  const std::string now = fingerprint();
  if (now.empty() || now == loaded_fingerprint_) return false;
  try {
    auto ctx = make_server_tls_context(files_, require_peer_certs_);
    {
      std::lock_guard lock(mu_);
      ctx_ = std::move(ctx);
    }
    loaded_fingerprint_ = now;
    failed_fingerprint_.clear();
    log::notice("TLS: reloaded the server certificate {} (new handshakes use it; open connections keep theirs)",
                files_.cert);
    return true;
  } catch (const std::exception& e) {
    // Files mid-rotation (the key written before the certificate): keep serving with the old context.
    if (now != failed_fingerprint_) {
      log::warn("TLS: the certificate files changed but cannot be loaded ({}); still using the previous ones", e.what());
      failed_fingerprint_ = now;
    }
    return false;
  }
}

}  // namespace mcrelay
