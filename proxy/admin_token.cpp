#include "proxy/admin_token.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/logging.hpp"

namespace mcrelay {

namespace {

constexpr std::string_view kBlanks = " \t\r\n";
constexpr std::size_t kMaxTokenFile = 4096;  // a token, not a document: a bigger file is a mistake

}  // namespace

bool constant_time_equal(std::string_view expected, std::string_view given) noexcept {
  // Every byte of `expected` is compared whatever `given` holds; a length difference only sets a bit.
  volatile unsigned char diff = expected.size() == given.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff = diff | (static_cast<unsigned char>(expected[i]) ^ g);
  }
  return diff == 0 && !expected.empty();
}

std::string_view bearer_credentials(std::string_view authorization) noexcept {
  auto v = authorization;
  v.remove_prefix(std::min(v.size(), v.find_first_not_of(" \t")));
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) != kScheme[i]) return {};
  }
  if (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t') return {};
  v.remove_prefix(kScheme.size());
  auto first = v.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  v.remove_prefix(first);
  auto last = v.find_last_not_of(" \t");
  return v.substr(0, last + 1);
}

std::string AdminToken::read(std::string& token, Stamp& stamp) const {
  struct stat st{};
  if (::stat(path_.c_str(), &st) != 0) return fmt::format("cannot read {}: {}", path_, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("{} is not a regular file", path_);
  if (st.st_size > static_cast<off_t>(kMaxTokenFile)) {
    return fmt::format("{} is {} bytes; a token file holds the token only (at most {} bytes)", path_, st.st_size,
                       kMaxTokenFile);
  }
  std::ifstream f(path_, std::ios::binary);
  if (!f) return fmt::format("cannot read {}: {}", path_, std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  auto first = text.find_first_not_of(kBlanks);
  if (first == std::string::npos) return fmt::format("{} is empty: it must hold the admin token", path_);
  auto last = text.find_last_not_of(kBlanks);
  token = text.substr(first, last - first + 1);
  stamp = Stamp{st.st_dev, st.st_ino, st.st_size,
                static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
  return "";
}

std::string AdminToken::load() {
  std::string token;
  Stamp stamp;
  if (auto err = read(token, stamp); !err.empty()) {
    // A missing file in a directory that exists is a token not issued yet (a Kubernetes Secret mounted as an
    // optional volume, created after the pods): start locked rather than not at all. A missing directory is a
    // typo and stays fatal.
    struct stat st{};
    bool missing = ::stat(path_.c_str(), &st) != 0 && errno == ENOENT;
    auto slash = path_.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
    struct stat dst{};
    if (!missing || ::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) return err;
    log::warn("--admin-token-file {} does not exist yet: every admin path but /healthz and /readyz answers 401 "
              "until it does",
              path_);
    last_problem_ = err;  // refresh() logs only a different problem
    return "";
  }
  token_ = std::move(token);
  stamp_ = stamp;
  if (token_.size() < 16) {
    log::warn("--admin-token-file {}: the token is {} characters; use a long random one (e.g. openssl rand -hex 32)",
              path_, token_.size());
  }
  return "";
}

void AdminToken::refresh() {
  struct stat st{};
  if (::stat(path_.c_str(), &st) == 0) {
    Stamp now{st.st_dev, st.st_ino, st.st_size,
              static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
    if (now == stamp_) return;
  }
  std::string token;
  Stamp stamp;
  if (auto err = read(token, stamp); !err.empty()) {
    if (err != last_problem_) {
      log::error("admin token: {}; keeping the previous token", err);
      last_problem_ = err;
    }
    return;
  }
  last_problem_.clear();
  if (token != token_) log::notice("admin token: {} changed; the new token is in effect", path_);
  token_ = std::move(token);
  stamp_ = stamp;
}

bool AdminToken::authorized(std::string_view authorization) {
  refresh();
  return constant_time_equal(token_, bearer_credentials(authorization));
}

}  // namespace mcrelay
