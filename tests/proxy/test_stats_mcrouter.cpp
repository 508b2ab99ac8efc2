// mcrouter's formats for `stats servers` and its per-command stat groups.
#include <catch2/catch.hpp>

#include "proxy/admin_options.hpp"
#include "proxy/stats_mcrouter.hpp"

using namespace mcrelay;

TEST_CASE("stats servers keys are mcrouter's access point strings", "[stats_mcrouter]") {
  CHECK(mcrouter_server_key("10.0.0.1", 11211, 1000) == "10.0.0.1:11211:ascii:plain:notcompressed-1000");
  CHECK(mcrouter_server_key("::1", 5000, 250) ==
        "[0000:0000:0000:0000:0000:0000:0000:0001]:5000:ascii:plain:notcompressed-250");
  CHECK(mcrouter_server_key("fe80::1:2", 1, 1) ==
        "[fe80:0000:0000:0000:0000:0000:0001:0002]:1:ascii:plain:notcompressed-1");
  CHECK(mcrouter_server_key("cache-0.cache", 11211, 1000) == "cache-0.cache:11211:ascii:plain:notcompressed-1000");
}

TEST_CASE("stats servers lines are mcrouter's ServerStat format", "[stats_mcrouter]") {
  DestinationTotals d;
  CHECK(mcrouter_server_line(d) == "avg_latency_us:0.000 pending_reqs:0 inflight_reqs:0");
  d.states[DestinationTotals::kUp] = 2;
  d.states[DestinationTotals::kNew] = 1;
  d.pending = 3;
  d.latency.buckets[0] = 2;
  d.latency.sum_us = 301;
  d.results[static_cast<int>(Result::stored)] = 4;
  d.results[static_cast<int>(Result::found)] = 7;
  d.results[static_cast<int>(Result::not_found)] = 1;
  CHECK(mcrouter_server_line(d) ==
        "avg_latency_us:150.500 pending_reqs:0 inflight_reqs:3 new:1 up:2; found:7 notfound:1 stored:4");
  DestinationTotals down;
  down.tko = true;
  down.last_failure_result = Result::connect_error;
  down.states[DestinationTotals::kDown] = 2;
  down.results[static_cast<int>(Result::connect_error)] = 3;
  down.results[static_cast<int>(Result::tko)] = 9;
  CHECK(mcrouter_server_line(down) ==
        "avg_latency_us:0.000 pending_reqs:0 inflight_reqs:0 hard_tko;  down:2; connect_error:3 tko:9");
  down.last_failure_result = Result::timeout;
  CHECK(mcrouter_server_line(down).find(" soft_tko; ") != std::string::npos);
}

TEST_CASE("commands map to mcrouter's stat groups", "[stats_mcrouter]") {
  CHECK(mcrouter_cmd_group(Op::get) == "get");
  CHECK(mcrouter_cmd_group(Op::gets) == "gets");
  CHECK(mcrouter_cmd_group(Op::delete_) == "delete");
  CHECK(mcrouter_cmd_group(Op::flush_all) == "flushall");
  CHECK(mcrouter_cmd_group(Op::stats) == "stats");
  CHECK(mcrouter_cmd_group(Op::version) == "other");
  CHECK(mcrouter_cmd_group(Op::mg) == "other");
}

TEST_CASE("stats groups", "[stats_mcrouter]") {
  CHECK(parse_stats_group("") == kStatsBasic);
  CHECK(parse_stats_group("all") == kStatsAll);
  CHECK(parse_stats_group("count") == kStatsCount);
  CHECK_FALSE(parse_stats_group("servers"));  // rendered apart
  CHECK_FALSE(parse_stats_group("bogus"));
}

TEST_CASE("options under mcrouter's names", "[stats_mcrouter]") {
  Options o;
  o.config = "file:/etc/mcrelay.json";
  o.server_timeout_ms = 750;
  o.route_prefix = "/a/b/";
  auto opts = mcrouter_options(o, 4);
  auto value = [&](const std::string& name) {
    for (const auto& [n, v] : opts) {
      if (n == name) return v;
    }
    return std::string("<missing>");
  };
  CHECK(value("num_proxies") == "4");
  CHECK(value("config_file") == "/etc/mcrelay.json");
  CHECK(value("config_str") == "");
  CHECK(value("server_timeout_ms") == "750");
  CHECK(value("default_route") == "/a/b/");
  CHECK(value("ports") == "5000");
  o.config = R"({"route":"NullRoute"})";
  CHECK(mcrouter_options(o, 1)[3].second == "");  // config_file
  CHECK(mcrouter_options(o, 1)[4].second == o.config);  // config_str
}
