#include "proxy/delete_spool.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "util/logging.hpp"

namespace mcrelay {

namespace fs = std::filesystem;
namespace {
constexpr std::string_view kSuffix = ".deletes";
constexpr std::string_view kBatchMark = ".deletes.replaying.";  // <server>.deletes.replaying.<pid>.<n>
}

DeleteSpool::DeleteSpool(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) log::error("async dir {}: {}", dir_, ec.message());
  recover_batches();
}

void DeleteSpool::recover_batches() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    const auto mark = name.find(kBatchMark);
    if (mark == std::string::npos) continue;
    const std::string spool = dir_ + "/" + name.substr(0, mark) + std::string(kSuffix);
    std::ifstream in(entry.path(), std::ios::binary);
    std::ofstream out(spool, std::ios::binary | std::ios::app);
    if (in && out && (out << in.rdbuf()) && out.flush()) {
      in.close();
      fs::remove(entry.path(), ec);
      log::notice("async dir: deletes of an unfinished replay put back into {}", spool);
    } else {
      log::error("async dir: cannot put {} back into {}", entry.path().string(), spool);
    }
  }
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
  if (ok) ++appended_;
  return ok;
}

DeleteSpool::Batch DeleteSpool::take(const std::string& server) {
  Batch batch;
  std::lock_guard lock(mu_);
  const std::string path = path_for(server);
  batch.file = path + std::string(kBatchMark.substr(kSuffix.size())) + std::to_string(::getpid()) + "." +
               std::to_string(++batches_);
  if (std::rename(path.c_str(), batch.file.c_str()) != 0) {  // nothing spooled (or unreadable): no batch
    batch.file.clear();
    return batch;
  }
  std::ifstream in(batch.file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("delete ") && line.size() > 7) batch.keys.push_back(line.substr(7));
  }
  if (batch.keys.empty()) std::remove(batch.file.c_str());
  return batch;
}

void DeleteSpool::finish(const Batch& batch) {
  // No lock: the batch file's name is this batch's alone, and append() never writes to it.
  if (!batch.file.empty()) std::remove(batch.file.c_str());
}

bool DeleteSpool::pending(const std::string& server) const {
  std::lock_guard lock(mu_);
  std::error_code ec;
  return fs::exists(path_for(server), ec);
}

}  // namespace mcrelay
