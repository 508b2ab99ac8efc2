// DeleteSpool: deletes that failed are kept per server, survive a restart (they are files), are taken
// exactly once for replay, and a replay that never finished gives its deletes back at the next start.
#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

#include "proxy/delete_spool.hpp"

using mcrelay::DeleteSpool;
using Keys = std::vector<std::string>;

namespace {
std::filesystem::path fresh_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}
std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}
}  // namespace

TEST_CASE("spooled deletes are kept per server and taken once", "[delete_spool]") {
  auto dir = fresh_dir("mcrelay-spool-test-");
  {
    DeleteSpool spool(dir.string());
    CHECK_FALSE(spool.pending("10.0.0.1:11211"));
    CHECK(spool.append("10.0.0.1:11211", "user:1"));
    CHECK(spool.append("10.0.0.1:11211", "user:2"));
    CHECK(spool.append("[::1]:11211", "other"));
    CHECK_FALSE(spool.append("10.0.0.1:11211", "bad key"));  // cannot be written on one line
    CHECK(spool.pending("10.0.0.1:11211"));
  }
  // A new spool over the same directory (a restarted proxy) finds them.
  DeleteSpool again(dir.string());
  auto batch = again.take("10.0.0.1:11211");
  CHECK(batch.keys == Keys{"user:1", "user:2"});
  CHECK(again.take("10.0.0.1:11211").keys.empty());
  CHECK_FALSE(again.pending("10.0.0.1:11211"));
  // A delete that fails again during the replay goes back to the spool, beside the batch being replayed.
  CHECK(again.append("10.0.0.1:11211", "user:2"));
  CHECK(files_in(dir) == 3);  // [::1]'s spool, 10.0.0.1's batch and its new spool
  again.finish(batch);
  CHECK(files_in(dir) == 2);
  CHECK(again.take("10.0.0.1:11211").keys == Keys{"user:2"});
  CHECK(again.take("[::1]:11211").keys == Keys{"other"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("a replay cut short (the proxy stopped) gives its deletes back at the next start", "[delete_spool]") {
  auto dir = fresh_dir("mcrelay-spool-batch-test-");
  {
    DeleteSpool spool(dir.string());
    CHECK(spool.append("10.0.0.1:11211", "a"));
    CHECK(spool.append("10.0.0.1:11211", "b"));
    auto batch = spool.take("10.0.0.1:11211");
    CHECK(batch.keys == Keys{"a", "b"});
    CHECK(spool.append("10.0.0.1:11211", "c"));  // spooled meanwhile
    // No finish(): the proxy stops before the replay was answered.
  }
  DeleteSpool again(dir.string());
  CHECK(again.pending("10.0.0.1:11211"));
  auto keys = again.take("10.0.0.1:11211").keys;
  std::sort(keys.begin(), keys.end());
  CHECK(keys == Keys{"a", "b", "c"});
  std::filesystem::remove_all(dir);
}
