// Server stats through the proxy: how several servers' `stats <group>` replies merge into one.
#include <catch2/catch.hpp>

#include "proxy/server_stats.hpp"

using namespace mcrelay;

TEST_CASE("server stats groups", "[server_stats]") {
  CHECK(is_server_stats_group("items"));
  CHECK(is_server_stats_group("slabs"));
  CHECK(is_server_stats_group("settings 10.0.0.1:11211"));
  CHECK(is_server_stats_group("sizes"));
  CHECK_FALSE(is_server_stats_group(""));
  CHECK_FALSE(is_server_stats_group("servers"));
  CHECK_FALSE(is_server_stats_group("all"));
  CHECK_FALSE(is_server_stats_group("cachedump 1 1"));
  CHECK_FALSE(is_server_stats_group("itemsx"));
}

TEST_CASE("items and slabs: amounts are summed, ages and slab geometry take the largest", "[server_stats]") {
  std::vector<std::string> blocks = {
      "STAT items:1:number 3\r\nSTAT items:1:age 10\r\nSTAT items:1:evicted 1\r\nSTAT items:1:evicted_time 5\r\n",
      "STAT items:1:number 4\r\nSTAT items:1:age 30\r\nSTAT items:1:evicted 0\r\nSTAT items:1:evicted_time 2\r\n"
      "STAT items:5:number 7\r\n",
  };
  CHECK(merge_server_stats("items", blocks) ==
        "STAT items:1:number 7\r\nSTAT items:1:age 30\r\nSTAT items:1:evicted 1\r\nSTAT items:1:evicted_time 5\r\n"
        "STAT items:5:number 7\r\nEND\r\n");
  std::vector<std::string> slabs = {
      "STAT 1:chunk_size 96\r\nSTAT 1:chunks_per_page 10922\r\nSTAT 1:used_chunks 3\r\nSTAT active_slabs 1\r\n"
      "STAT total_malloced 1048576\r\n",
      "STAT 1:chunk_size 96\r\nSTAT 1:chunks_per_page 10922\r\nSTAT 1:used_chunks 5\r\nSTAT active_slabs 2\r\n"
      "STAT total_malloced 2097152\r\n",
  };
  CHECK(merge_server_stats("slabs", slabs) ==
        "STAT 1:chunk_size 96\r\nSTAT 1:chunks_per_page 10922\r\nSTAT 1:used_chunks 8\r\nSTAT active_slabs 3\r\n"
        "STAT total_malloced 3145728\r\nEND\r\n");
}

TEST_CASE("settings: capacities are summed, other numbers that differ take the smallest", "[server_stats]") {
  std::vector<std::string> blocks = {
      "STAT maxbytes 67108864\r\nSTAT maxconns 1024\r\nSTAT tcpport 11211\r\nSTAT item_size_max 1048576\r\n"
      "STAT evictions on\r\nSTAT growth_factor 1.25\r\nSTAT num_threads 4\r\n",
      "STAT maxbytes 134217728\r\nSTAT maxconns 1024\r\nSTAT tcpport 11212\r\nSTAT item_size_max 524288\r\n"
      "STAT evictions off\r\nSTAT growth_factor 1.25\r\nSTAT num_threads 4\r\n",
  };
  CHECK(merge_server_stats("settings", blocks) ==
        "STAT maxbytes 201326592\r\nSTAT maxconns 2048\r\nSTAT tcpport 11211\r\nSTAT item_size_max 524288\r\n"
        "STAT evictions on\r\nSTAT growth_factor 1.25\r\nSTAT num_threads 8\r\nEND\r\n");
}

TEST_CASE("merging one server's reply changes nothing; none gives an empty reply", "[server_stats]") {
  std::string one = "STAT sizes_status disabled\r\n";
  CHECK(merge_server_stats("sizes", {one}) == one + "END\r\n");
  CHECK(merge_server_stats("sizes", {}) == "END\r\n");
  CHECK(merge_server_stats("sizes", {"STAT 96 2\r\nSTAT 128 1\r\n", "STAT 96 3\r\n"}) ==
        "STAT 96 5\r\nSTAT 128 1\r\nEND\r\n");
}
