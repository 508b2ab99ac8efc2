#pragma once
// TlsReloader: the server-side TLS context of the --ssl-port listeners, rebuilt when its files change.
//
// A Kubernetes Secret rotation replaces the mounted files (by swapping a symlink), so the files' identity
// (device, inode, size, mtime, through symlinks) is polled on a timer. When any changed, a new context is
// built from the files; new handshakes use it, connections already established keep theirs (each TLS stream
// holds its context), so nothing is dropped. A half-written rotation (unreadable file, key not matching the
// certificate) is logged and retried on the next poll; the previous context stays in use meanwhile.
//
// Contract: constructed on the main thread (throws std::runtime_error if the files cannot be loaded: a
// start-up error). start()/stop() and the polling run on the control io_context's thread; current() is called
// by any worker thread when it accepts a TLS connection (a mutex: once per connection, not per request).
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/tls_context.hpp"

namespace mcrelay {

class TlsReloader {
 public:
  TlsReloader(TlsFiles files, bool require_peer_certs);
  void start(boost::asio::io_context& control, std::chrono::milliseconds interval);
  void stop();
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Control thread: checks the files now; returns true if a new context was installed.
  bool poll();

 private:
  std::string fingerprint() const;  // the files' identities; empty when one cannot be read
  void schedule();

  TlsFiles files_;
  bool require_peer_certs_;
  std::string loaded_fingerprint_;
  std::string failed_fingerprint_;  // the last one that failed to load: logged once
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds interval_{5000};
};

}  // namespace mcrelay
