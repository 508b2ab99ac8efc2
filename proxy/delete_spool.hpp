#pragma once
// DeleteSpool: the reliable delete stream (mcrouter's "asynclog"). A delete that could not reach its
// server (down, timed out, connect failed) is appended to a spool file for that server under --async-dir;
// the client gets NOT_FOUND (mcrouter's reply), and the spool is replayed when the server answers again,
// including after a proxy restart, so an invalidation is never silently lost.
//
// Contract: shared by every worker; append() and take() lock a mutex and do file I/O. They run only when
// a delete has already failed or a server has just come back, never on the normal request path.
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mcrelay {

class DeleteSpool {
 public:
  explicit DeleteSpool(std::string dir);

  // Appends "delete <key>" for `server`. Keys with bytes that cannot be written on one line are refused.
  bool append(const std::string& server, std::string_view key);
  // Takes every spooled key of `server` (the file is removed; a key that fails again is appended again).
  std::vector<std::string> take(const std::string& server);
  // Whether `server` has spooled deletes (for the replay at start-up).
  bool pending(const std::string& server) const;

  std::string path_for(const std::string& server) const;

 private:
  std::string dir_;
  mutable std::mutex mu_;
};

}  // namespace mcrelay
