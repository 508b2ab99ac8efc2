// DeleteSpool: deletes that failed are kept per server, survive a restart (they are files), and are taken
// exactly once for replay.
#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

#include "proxy/delete_spool.hpp"

using mcrelay::DeleteSpool;

TEST_CASE("spooled deletes are kept per server and taken once", "[delete_spool]") {
  auto dir = std::filesystem::temp_directory_path() / ("mcrelay-spool-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
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
  CHECK(again.take("10.0.0.1:11211") == std::vector<std::string>{"user:1", "user:2"});
  CHECK(again.take("10.0.0.1:11211").empty());
  CHECK_FALSE(again.pending("10.0.0.1:11211"));
  CHECK(again.take("[::1]:11211") == std::vector<std::string>{"other"});
  std::filesystem::remove_all(dir);
}
