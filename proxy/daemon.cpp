#include "proxy/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace mcrelay {

std::string raise_fd_limit(std::uint64_t limit, std::string& warning) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
  rlim_t want = static_cast<rlim_t>(limit);
  if (rl.rlim_cur >= want) return "";
  rl.rlim_cur = want;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
    rlimit raised = rl;
    raised.rlim_max = want;  // only root may raise the hard limit
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return "";
    warning = fmt::format("RLIMIT_NOFILE maxed out at {} (you asked for {})", rl.rlim_max, limit);
    rl.rlim_cur = rl.rlim_max;
  }
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return fmt::format("setrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
  return "";
}

std::string daemonize() {
  if (::getppid() == 1) return "";  // already a daemon's child
  pid_t pid = ::fork();
  if (pid < 0) return fmt::format("cannot fork a background process: {}", std::strerror(errno));
  if (pid > 0) std::_Exit(0);
  if (::setsid() < 0) return fmt::format("setsid: {}", std::strerror(errno));
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return fmt::format("cannot open /dev/null: {}", std::strerror(errno));
  ::dup2(null, STDIN_FILENO);
  ::dup2(null, STDOUT_FILENO);
  ::close(null);
  return "";
}

std::string write_pid_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot open pid file {}: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return fmt::format("pid file {} is locked: another instance is running", path);
    return fmt::format("cannot lock pid file {}: {}", path, std::strerror(err));
  }
  auto text = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    int err = errno;
    ::close(fd);
    return fmt::format("cannot write pid file {}: {}", path, std::strerror(err));
  }
  return "";  // fd stays open: the lock lives as long as the process
}

}  // namespace mcrelay
