#include "util/logging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <ctime>
#include <string>

namespace mcrelay::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_json{false};

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}
}  // namespace

std::string open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  // dup2 swaps the descriptor atomically: a concurrent write(2) goes to the old file or the new one.
  int rc = ::dup2(fd, STDERR_FILENO);
  int err = errno;
  ::close(fd);
  if (rc < 0) return fmt::format("dup2: {}", std::strerror(err));
  return "";
}

void set_json(bool json) noexcept { g_json.store(json, std::memory_order_relaxed); }

void set_level(Level level) noexcept { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }
Level level() noexcept { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool parse_level(std::string_view name, Level& out) noexcept {
  if (name == "debug") out = Level::debug;
  else if (name == "info") out = Level::info;
  else if (name == "warn" || name == "warning") out = Level::warn;
  else if (name == "error") out = Level::error;
  else return false;
  return true;
}

void write(Level lvl, std::string_view message) noexcept {
  try {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr char kTag[] = {'D', 'I', 'W', 'E'};
    static constexpr const char* kName[] = {"debug", "info", "warn", "error"};
    std::string line;
    if (g_json.load(std::memory_order_relaxed)) {
      line = fmt::format("{{\"ts\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\",\"msg\":", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, kName[static_cast<int>(lvl)]);
      append_json_string(line, message);
      line += "}\n";
      ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
      (void)r;
      return;
    }
    line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} mcrelay: {}\n", tm.tm_year + 1900,
                                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                                   kTag[static_cast<int>(lvl)], message);
    ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
    (void)r;
  } catch (...) {
    // Logging must never take the proxy down.
  }
}

}  // namespace mcrelay::log
