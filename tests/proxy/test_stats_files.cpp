// stats_files: mcrouter's stats file format.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "proxy/stats_files.hpp"

using namespace mcrelay;

TEST_CASE("stats files: names and JSON as mcrouter writes them", "[stats_files]") {
  CHECK(stats_file_prefix("mcrouter", "5000") == "libmcrouter.mcrouter.5000");
  auto text = stats_file_json("libmcrouter.mcrouter.5000",
                              "STAT uptime 12\r\nSTAT version 0.1.0\r\nSTAT rusage_user 0.25\r\nEND\r\n");
  auto j = nlohmann::json::parse(text);
  CHECK(j.size() == 3);
  CHECK(j["libmcrouter.mcrouter.5000.uptime"] == 12);
  CHECK(j["libmcrouter.mcrouter.5000.version"] == "0.1.0");
  CHECK(j["libmcrouter.mcrouter.5000.rusage_user"] == 0.25);
  CHECK(text.find("\n  \"libmcrouter.mcrouter.5000.rusage_user\"") < text.find("\"libmcrouter.mcrouter.5000.uptime\""));
  auto s = nlohmann::json::parse(startup_options_json({{"port", "5000"}}, 42));
  CHECK(s["pid"] == "42");
  CHECK(s["port"] == "5000");
}
