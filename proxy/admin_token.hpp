#pragma once
// AdminToken: the bearer token that guards the admin listener (--admin-token-file). The file holds the token
// (surrounding blanks and the final newline are not part of it). It is re-read when it changes: every check
// stats the path (following symlinks, so a Kubernetes Secret rotation, which swaps the ..data symlink of the
// mounted directory, is seen at the next request) and reads it again when its inode, size or mtime differ.
// A file that becomes unreadable or empty keeps the last good token (logged once per change).
//
// Contract: load() at start-up on the main thread; authorized() on the admin listener's thread (the control
// thread) only. Not thread-safe.
#include <sys/types.h>

#include <string>
#include <string_view>

namespace mcrelay {

class AdminToken {
 public:
  explicit AdminToken(std::string path) : path_(std::move(path)) {}

  // Reads the file. Returns "" or why it cannot serve as a token (unreadable, empty). A file missing from a
  // directory that exists is not an error: the token is not issued yet, and until the file appears no
  // request is authorized (the admin listener is locked, its probes stay open).
  std::string load();

  // True when `authorization` (an Authorization header value) is "Bearer <the token>". Re-reads the file
  // first if it changed.
  bool authorized(std::string_view authorization);

  const std::string& path() const noexcept { return path_; }

 private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    long long mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  // Reads the file into `token`; "" or the reason it failed.
  std::string read(std::string& token, Stamp& stamp) const;
  void refresh();

  std::string path_;
  std::string token_;
  Stamp stamp_;
  std::string last_problem_;  // the last reload failure logged, so it is logged once
};

// Equality of two strings in a time that depends only on the length of `expected`, never on where they first
// differ (a remote client must not learn the token byte by byte from response times).
bool constant_time_equal(std::string_view expected, std::string_view given) noexcept;

// The credentials of a "Bearer <token>" Authorization value (scheme case-insensitive); "" for anything else.
std::string_view bearer_credentials(std::string_view authorization) noexcept;

}  // namespace mcrelay
