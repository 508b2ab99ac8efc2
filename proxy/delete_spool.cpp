#include "proxy/delete_spool.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "proxy/util/logging.hpp"

namespace mcrelay {

namespace fs = std::filesystem;
namespace {
constexpr std::string_view kSuffix = ".deletes";
}

DeleteSpool::DeleteSpool(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) log::error("async dir {}: {}", dir_, ec.message());
}

std::string DeleteSpool::path_for(const std::string& server) const {
  std::string name;
  for (char c : server) name.push_back((c == '/' || c == ':' || c == '[' || c == ']') ? '_' : c);
  return dir_ + "/" + name + std::string(kSuffix);
}

bool DeleteSpool::append(const std::string& server, std::string_view key) {
  for (char c : key) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\0') return false;
  }
  std::string line = "delete ";
  line.append(key);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::FILE* f = std::fopen(path_for(server).c_str(), "a");
  if (!f) {
    log::error("async dir: cannot append to {}", path_for(server));
    return false;
  }
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  ok = (std::fflush(f) == 0) && ok;
  std::fclose(f);
  return ok;
}

std::vector<std::string> DeleteSpool::take(const std::string& server) {
  std::vector<std::string> keys;
  std::lock_guard lock(mu_);
  std::string path = path_for(server);
  std::ifstream in(path);
  if (!in) return keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("delete ") && line.size() > 7) keys.push_back(line.substr(7));
  }
  in.close();
  std::remove(path.c_str());
  return keys;
}

bool DeleteSpool::pending(const std::string& server) const {
  std::lock_guard lock(mu_);
  std::error_code ec;
  return fs::exists(path_for(server), ec);
}

}  // namespace mcrelay
