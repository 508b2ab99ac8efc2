#pragma once
// Process set-up from mcrouter's command line: -n (open-files limit), -b (background), -P (pid file).
//
// Contract: main thread, at start-up, before any other thread exists (daemonize forks). Each returns "" or
// an operator-facing error.
#include <cstdint>
#include <string>

namespace mcrelay {

// -n/--connection-limit: raises the soft RLIMIT_NOFILE to `limit` (and the hard one too when allowed); a
// hard limit below it caps the soft one, with `warning` set.
std::string raise_fd_limit(std::uint64_t limit, std::string& warning);

// -b/--background: fork; the parent exits 0, the child starts a new session with stdin/stdout on /dev/null
// (stderr stays: the log, or -L's file).
std::string daemonize();

// -P/--pid-file: opens (creating) and locks `path`, then writes the pid. The lock is held until the process
// exits, so a second instance with the same pid file fails here.
std::string write_pid_file(const std::string& path);

}  // namespace mcrelay
