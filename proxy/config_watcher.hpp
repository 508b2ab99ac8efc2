#pragma once
// ConfigWatcher: notices that the config file may have changed and calls back (the callback decides,
// by content digest, whether anything really changed).
//
// Contract: lives on the main/control thread's io_context. It watches the file's DIRECTORY with inotify,
// because Kubernetes updates a mounted ConfigMap by atomically swapping a `..data` symlink (the file itself
// is never written in place), and editors replace files by rename. Events are debounced. A periodic poll is
// the fallback for filesystems without inotify events (NFS, some overlay mounts) and re-arms the watch if the
// directory was replaced.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mcrelay {

class ConfigWatcher {
 public:
  ConfigWatcher(boost::asio::io_context& io, std::string path, std::function<void(const char* why)> on_change,
                std::chrono::milliseconds poll_interval = std::chrono::milliseconds(2000),
                std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  ~ConfigWatcher();

  void start();
  void stop();

 private:
  void arm_watch();
  void read_events();
  void schedule_poll();
  void debounce(const char* why);

  boost::asio::io_context& io_;
  std::string path_;
  std::string dir_;
  std::function<void(const char*)> on_change_;
  std::chrono::milliseconds poll_interval_;
  std::chrono::milliseconds debounce_;
  int inotify_fd_ = -1;
  int watch_ = -1;
  boost::asio::posix::stream_descriptor stream_;
  boost::asio::steady_timer poll_timer_;
  boost::asio::steady_timer debounce_timer_;
  bool debounce_armed_ = false;
  bool stopped_ = false;
  alignas(8) char events_[4096];  // inotify_event records (header, then a name, padded)
};

}  // namespace mcrelay
