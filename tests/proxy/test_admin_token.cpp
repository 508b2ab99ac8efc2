// The admin listener's bearer token (proxy/admin_token.hpp) and the options that require it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "proxy/admin_token.hpp"
#include "proxy/options.hpp"

using namespace mcrelay;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/mcrelay-token-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::trunc);
  f << text;
}

}  // namespace

TEST_CASE("admin token: constant-time comparison compares whole strings", "[admin]") {
  CHECK(constant_time_equal("s3cret-token", "s3cret-token"));
  CHECK_FALSE(constant_time_equal("s3cret-token", "s3cret-tokeN"));
  CHECK_FALSE(constant_time_equal("s3cret-token", "s3cret-token2"));
  CHECK_FALSE(constant_time_equal("s3cret-token", "s3cret"));
  CHECK_FALSE(constant_time_equal("s3cret-token", ""));
  CHECK_FALSE(constant_time_equal("", ""));  // no token never authorizes
}

TEST_CASE("admin token: Bearer credentials", "[admin]") {
  CHECK(bearer_credentials("Bearer abc") == "abc");
  CHECK(bearer_credentials("bearer   abc  ") == "abc");
  CHECK(bearer_credentials("BEARER\tabc") == "abc");
  CHECK(bearer_credentials("Basic YWJjOmRlZg==").empty());
  CHECK(bearer_credentials("Bearer").empty());
  CHECK(bearer_credentials("Bearer ").empty());
  CHECK(bearer_credentials("Bearerabc").empty());
  CHECK(bearer_credentials("").empty());
}

TEST_CASE("admin token: read from the file, blanks around it ignored", "[admin]") {
  TempDir dir;
  auto file = dir.path / "token";
  write(file, "  first-token-0123456789\n");
  AdminToken token(file.string());
  REQUIRE(token.load().empty());
  CHECK(token.authorized("Bearer first-token-0123456789"));
  CHECK_FALSE(token.authorized("Bearer first-token"));
  CHECK_FALSE(token.authorized(""));
}

TEST_CASE("admin token: an unreadable or empty file is refused at start-up", "[admin]") {
  TempDir dir;
  AdminToken missing((dir.path / "no-such-dir" / "token").string());
  CHECK(missing.load().find("cannot read") != std::string::npos);
  write(dir.path / "empty", "\n \n");
  AdminToken empty((dir.path / "empty").string());
  CHECK(empty.load().find("empty") != std::string::npos);
  AdminToken directory(dir.path.string());
  CHECK(directory.load().find("not a regular file") != std::string::npos);
}

TEST_CASE("admin token: a Kubernetes Secret rotation (the ..data symlink swapped) is picked up", "[admin]") {
  // The kubelet's layout: token -> ..data/token, ..data -> ..<timestamp> (a directory); a rotation writes a
  // new timestamped directory and renames a new ..data symlink over the old one.
  TempDir dir;
  fs::create_directory(dir.path / "..v1");
  write(dir.path / "..v1" / "token", "old-token-0123456789");
  fs::create_directory_symlink("..v1", dir.path / "..data");
  fs::create_symlink("..data/token", dir.path / "token");
  AdminToken token((dir.path / "token").string());
  REQUIRE(token.load().empty());
  CHECK(token.authorized("Bearer old-token-0123456789"));

  fs::create_directory(dir.path / "..v2");
  write(dir.path / "..v2" / "token", "new-token-0123456789");
  fs::create_directory_symlink("..v2", dir.path / "..data_tmp");
  fs::rename(dir.path / "..data_tmp", dir.path / "..data");
  fs::remove_all(dir.path / "..v1");
  CHECK(token.authorized("Bearer new-token-0123456789"));
  CHECK_FALSE(token.authorized("Bearer old-token-0123456789"));
}

TEST_CASE("admin token: rewritten in place, it is re-read; emptied, the last good token stays", "[admin]") {
  TempDir dir;
  auto file = dir.path / "token";
  write(file, "token-one-0123456789");
  AdminToken token(file.string());
  REQUIRE(token.load().empty());
  write(file, "token-two-0123456789-longer");  // a different size: seen even within one mtime tick
  CHECK(token.authorized("Bearer token-two-0123456789-longer"));
  CHECK_FALSE(token.authorized("Bearer token-one-0123456789"));
  write(file, "");
  CHECK(token.authorized("Bearer token-two-0123456789-longer"));
  fs::remove(file);
  CHECK(token.authorized("Bearer token-two-0123456789-longer"));
}

TEST_CASE("options: the admin listener is on loopback unless a token guards it", "[options][admin]") {
  auto parse = [](std::vector<std::string> args) { return parse_options(args); };
  CHECK(parse({}).options.admin_address == "127.0.0.1");
  CHECK(parse({"--admin-port", "9100"}).error.empty());
  CHECK(parse({"--admin-port", "9100", "--admin-address", "::1"}).error.empty());
  CHECK(parse({"--admin-port", "9100", "--admin-address", "127.0.0.2"}).error.empty());
  auto open = parse({"--admin-port", "9100", "--admin-address", "0.0.0.0"});
  CHECK(open.error.find("--admin-token-file") != std::string::npos);
  CHECK(parse({"--admin-port", "9100", "--admin-address", "10.1.2.3"}).error.find("--admin-token-file") !=
        std::string::npos);
  auto guarded = parse({"--admin-port", "9100", "--admin-address", "0.0.0.0", "--admin-token-file", "/t"});
  CHECK(guarded.error.empty());
  CHECK(guarded.options.admin_token_file == "/t");
  // No admin listener: nothing to guard.
  CHECK(parse({"--admin-address", "0.0.0.0"}).error.empty());
  CHECK(parse({"--admin-port", "9100", "--admin-address", "localhost"}).error.find("invalid --admin-address") !=
        std::string::npos);
  CHECK(is_loopback_address("127.0.0.1"));
  CHECK(is_loopback_address("::1"));
  CHECK_FALSE(is_loopback_address("0.0.0.0"));
  CHECK_FALSE(is_loopback_address("::"));
  CHECK_FALSE(is_loopback_address("localhost"));
}

TEST_CASE("options: admin keys are off unless --enable-admin-keys", "[options][admin]") {
  auto parse = [](std::vector<std::string> args) { return parse_options(args); };
  CHECK_FALSE(parse({}).options.enable_admin_keys);
  CHECK(parse({"--enable-admin-keys"}).options.enable_admin_keys);
  CHECK(parse({"--enable-admin-keys=true"}).options.enable_admin_keys);
  CHECK_FALSE(parse({"--disable-admin-keys"}).options.enable_admin_keys);
  CHECK_FALSE(parse({"--enable-admin-keys", "--disable-admin-keys"}).options.enable_admin_keys);
}

TEST_CASE("options: --max-conns defaults to the open-files limit less a reserve", "[options]") {
  auto parse = [](std::vector<std::string> args) { return parse_options(args); };
  CHECK(parse({}).options.max_conns == 1);  // 1: derived at start-up, as mcrouter's --max-conns 1
  CHECK(parse({"--max-conns", "0"}).options.max_conns == 0);
  CHECK(parse({"--max-conns", "100"}).options.max_conns == 100);
}

TEST_CASE("admin token: a file not issued yet locks the listener until it appears", "[admin]") {
  TempDir dir;
  auto file = dir.path / "token";
  AdminToken token(file.string());
  REQUIRE(token.load().empty());  // the directory exists: a Secret not created yet, not a typo
  CHECK_FALSE(token.authorized("Bearer "));
  CHECK_FALSE(token.authorized("Bearer anything-at-all-0123456789"));
  write(file, "late-token-0123456789\n");
  CHECK(token.authorized("Bearer late-token-0123456789"));
}
