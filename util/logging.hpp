#pragma once
// Logging: one line per event to stderr, formatted with fmt, with a level and a UTC timestamp.
//
// Contract: callable from any thread (each line is written with a single write(2), so lines from different
// threads never interleave). Nothing on the per-request path logs at info or above by default.
#include <atomic>
#include <string_view>

#include <fmt/format.h>

namespace mcrelay::log {

enum class Level : int { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level) noexcept;
// One JSON object per line ({"ts", "level", "msg"}) instead of text, for log collectors.
void set_json(bool json) noexcept;
Level level() noexcept;
bool parse_level(std::string_view name, Level& out) noexcept;
void write(Level level, std::string_view message) noexcept;

// -L/--log-path: from now on every line (and anything else written to stderr) goes to the end of `path`:
// stderr itself is pointed at the file, as mcrouter does. Called at start-up (main thread) and again on
// SIGHUP/SIGUSR2 (control thread) after logrotate renamed the file: a line written meanwhile lands in the
// old file or the new one, never lost. Returns "" or why the file cannot be opened (strerror's text);
// stderr then stays where it was (the terminal, or the old file).
std::string open_file(const std::string& path);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
// State changes an operator must always be able to find (a server down or back up, a config reloaded,
// discovered members changed): written as info lines whatever --log-level says, like errors.
template <typename... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace mcrelay::log
