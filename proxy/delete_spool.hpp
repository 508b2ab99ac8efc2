#pragma once
// DeleteSpool: the reliable delete stream (mcrouter's "asynclog"). A delete that could not reach its
// server (down, timed out, connect failed) is appended to a spool file for that server under --async-dir;
// the client gets NOT_FOUND (mcrouter's reply), and the spool is replayed when the server answers again,
// including after a proxy restart, so an invalidation is never silently lost.
//
// A replay never loses a delete: take() renames the server's file to a batch file of its own, which
// finish() removes only once every delete of the batch has been answered (those that failed again having
// been appended anew). A batch file left by a proxy that stopped mid-replay is folded back into its server's
// spool when the next one starts.
//
// Contract: shared by every worker; append() and take() lock a mutex, finish() removes its batch's own file;
// all do file I/O. They run only when a delete has already failed or a replay is due, never on the normal
// request path.
#include <atomic>
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
  struct Batch {
    std::vector<std::string> keys;
    std::string file;  // the batch file: pass to finish() once every key has been answered
  };
  // Takes every spooled key of `server` (its file becomes the batch file; a key that fails again is appended
  // to the server's spool anew). Empty keys: nothing was spooled.
  Batch take(const std::string& server);
  void finish(const Batch& batch);
  // Whether `server` has spooled deletes (for the replay at start-up).
  bool pending(const std::string& server) const;

  std::string path_for(const std::string& server) const;
  // Deletes appended since start (mcrouter's `asynclog_requests` stat); any thread.
  std::uint64_t appended() const noexcept { return appended_.load(std::memory_order_relaxed); }

 private:
  void recover_batches();  // start-up: batch files of a previous run go back into their spools

  std::string dir_;
  mutable std::mutex mu_;
  std::uint64_t batches_ = 0;
  std::atomic<std::uint64_t> appended_{0};
};

}  // namespace mcrelay
