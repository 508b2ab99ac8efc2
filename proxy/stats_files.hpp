#pragma once
// Stats files: mcrouter's periodic stats dump under --stats-root, for monitoring that reads those files.
//
// mcrouter writes, every --stats-logging-interval ms, <stats-root>/libmcrouter.<service>.<router>.stats: a
// JSON object, pretty-printed and sorted by key, whose keys are "libmcrouter.<service>.<router>.<stat>"
// (standalone mcrouter: service "mcrouter", router = its first port), and once
// <prefix>.startup_options (the options and the pid). mcrelay writes the same two files with its own
// `stats` counters (the names of docs/operations.md, not every one of mcrouter's).
//
// Contract: the functions are pure except write_file_atomically; ProxyServer calls them on the control
// thread.
#include <map>
#include <string>
#include <string_view>

namespace mcrelay {

// "libmcrouter.<service>.<router>"
std::string stats_file_prefix(std::string_view service, std::string_view router);

// memcached `stats` text ("STAT name value" lines) -> the .stats JSON: numbers stay numbers.
std::string stats_file_json(std::string_view prefix, std::string_view stats_text);

// The .startup_options JSON: the given options plus "pid".
std::string startup_options_json(const std::map<std::string, std::string>& options, long pid);

// Creates `dir` (and its parents) when missing. Returns "" or why it cannot be used.
std::string ensure_directory(const std::string& dir);

// Writes `content` to a temporary file next to `path` and renames it over `path`, so readers never see
// half a file. Returns "" or the error.
std::string write_file_atomically(const std::string& path, std::string_view content);

}  // namespace mcrelay
