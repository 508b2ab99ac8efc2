#include "proxy/config_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>

#include "util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using boost::system::error_code;

ConfigWatcher::ConfigWatcher(asio::io_context& io, std::string path, std::function<void(const char*)> on_change,
                             std::chrono::milliseconds poll_interval, std::chrono::milliseconds debounce)
    : io_(io),
      path_(std::move(path)),
      on_change_(std::move(on_change)),
      poll_interval_(poll_interval),
      debounce_(debounce),
      stream_(io),
      poll_timer_(io),
      debounce_timer_(io) {
  auto slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
}

ConfigWatcher::~ConfigWatcher() { stop(); }

void ConfigWatcher::start() {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    log::warn("config watch: inotify unavailable ({}); polling {} every {} ms", errno, path_, poll_interval_.count());
  } else {
    stream_.assign(inotify_fd_);
    arm_watch();
    read_events();
  }
  schedule_poll();
}

void ConfigWatcher::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ec;
  poll_timer_.cancel();
  debounce_timer_.cancel();
  if (stream_.is_open()) stream_.close(ec);  // closes inotify_fd_
}

void ConfigWatcher::arm_watch() {
  if (inotify_fd_ < 0) return;
  constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  watch_ = ::inotify_add_watch(inotify_fd_, dir_.c_str(), mask);
  if (watch_ < 0) log::warn("config watch: cannot watch {} (errno {}); relying on polling", dir_, errno);
}

void ConfigWatcher::read_events() {
  stream_.async_read_some(asio::buffer(events_), [this](const error_code& ec, std::size_t n) {
    if (ec || stopped_) return;
    bool relevant = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      inotify_event ev;  // copied out: records after a name are not aligned for the struct
      std::memcpy(&ev, events_ + off, sizeof(ev));
      if (ev.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) watch_ = -1;  // re-armed by the poll
      relevant = true;  // any change in the directory may be the config (symlink swaps touch other names)
      off += sizeof(inotify_event) + ev.len;
    }
    if (relevant) debounce("file changed");
    read_events();
  });
}

void ConfigWatcher::debounce(const char* why) {
  if (debounce_armed_) return;
  debounce_armed_ = true;
  debounce_timer_.expires_after(debounce_);
  debounce_timer_.async_wait([this, why](const error_code& ec) {
    debounce_armed_ = false;
    if (ec || stopped_) return;
    on_change_(why);
  });
}

void ConfigWatcher::schedule_poll() {
  poll_timer_.expires_after(poll_interval_);
  poll_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopped_) return;
    if (watch_ < 0) arm_watch();
    on_change_("poll");
    schedule_poll();
  });
}

}  // namespace mcrelay
