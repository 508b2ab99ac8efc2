#include "proxy/stats_files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proxy/options.hpp"

namespace mcrelay {

std::string stats_file_prefix(std::string_view service, std::string_view router) {
  return fmt::format("libmcrouter.{}.{}", service, router);
}

std::string stats_file_json(std::string_view prefix, std::string_view stats_text) {
  nlohmann::json j = nlohmann::json::object();  // std::map inside: sorted by key, as mcrouter's files are
  std::istringstream in{std::string(stats_text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.starts_with("STAT ")) continue;
    auto space = line.find(' ', 5);
    if (space == std::string::npos) continue;
    std::string name = line.substr(5, space - 5), value = line.substr(space + 1);
    std::string key = fmt::format("{}.{}", prefix, name);
    if (auto n = parse_uint64(value)) {
      j[key] = *n;
      continue;
    }
    char* end = nullptr;
    double d = std::strtod(value.c_str(), &end);
    if (!value.empty() && end == value.c_str() + value.size()) {
      j[key] = d;
    } else {
      j[key] = value;
    }
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string startup_options_json(const std::map<std::string, std::string>& options, long pid) {
  nlohmann::json j(options);
  j["pid"] = std::to_string(pid);  // mcrouter writes the pid as a string too
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string ensure_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fmt::format("cannot create {}: {}", dir, ec.message());
  if (::access(dir.c_str(), W_OK) != 0) return fmt::format("cannot write to {}: {}", dir, std::strerror(errno));
  return "";
}

std::string write_file_atomically(const std::string& path, std::string_view content) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f.flush()) return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message());
  }
  return "";
}

}  // namespace mcrelay
