#include "proxy/unix_listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/asio/local/stream_protocol.hpp>
#include <fmt/format.h>

#include "util/logging.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

namespace {

using unix_proto = boost::asio::local::stream_protocol;

// True when something accepts connections at `path` right now.
bool socket_is_live(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), std::min(path.size(), sizeof(sa.sun_path) - 1));
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return live;
}

void clear_stale(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing there
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(fmt::format("cannot listen on Unix socket {}: the file exists and is not a socket", path));
  }
  if (socket_is_live(path)) {
    throw std::runtime_error(fmt::format(
        "cannot listen on Unix socket {}: address already in use (another process accepts connections there)", path));
  }
  log::info("removing the stale Unix socket {} (nobody accepts connections on it)", path);
  ::unlink(path.c_str());
}

}  // namespace

void bind_unix_listener(const std::string& path, int backlog, std::vector<std::unique_ptr<Worker>>& workers,
                        std::optional<unsigned> mode, const std::string& default_prefix, const std::string& pool) {
  clear_stale(path);
  boost::asio::io_context io;
  unix_proto::acceptor first(io);
  boost::system::error_code ec;
  first.open(unix_proto(), ec);
  if (!ec) first.bind(unix_proto::endpoint(path), ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on Unix socket {}: {}", path, ec.message()));
  if (mode && ::chmod(path.c_str(), static_cast<mode_t>(*mode)) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw std::runtime_error(
        fmt::format("cannot listen on Unix socket {}: chmod {:04o}: {}", path, *mode, std::strerror(err)));
  }
  first.listen(backlog, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on Unix socket {}: {}", path, ec.message()));
  for (auto& w : workers) {
    int copy = ::fcntl(first.native_handle(), F_DUPFD_CLOEXEC, 3);
    if (copy < 0) throw std::runtime_error(fmt::format("Unix socket {}: dup: {}", path, std::strerror(errno)));
    unix_proto::acceptor acc(w->io());
    acc.assign(unix_proto(), copy);
    w->add_unix_acceptor(std::move(acc), default_prefix);
  }
  first.close(ec);  // every worker holds a duplicate
  const std::string who = pool.empty() ? std::string() : fmt::format("pool {}: ", pool);
  const std::string perm = mode ? fmt::format(", mode {:04o}", *mode) : std::string();
  log::notice("{}listening on unix:{} ({} worker{}{})", who, path, workers.size(), workers.size() == 1 ? "" : "s",
              perm);
}

void remove_unix_listener(const std::string& path) noexcept {
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

}  // namespace mcrelay
