// What the data port answers only with --enable-admin-keys (proxy/admin_guard.hpp), and the command line as
// `stats` shows it without the flag.
#include <catch2/catch.hpp>

#include "proxy/admin_guard.hpp"
#include "proxy/options.hpp"

using namespace mcrelay;

TEST_CASE("admin guard: revealing admin keys are named, harmless ones are not", "[admin]") {
  for (auto cmd : {"config", "config_file", "config_sources_info", "preprocessed_config", "options", "route",
                   "route_handles"}) {
    auto why = admin_key_disabled(cmd, 0);
    REQUIRE(why);
    CHECK(why->find("--enable-admin-keys") != std::string::npos);
  }
  CHECK(admin_key_disabled("verbosity", 1));
  CHECK_FALSE(admin_key_disabled("verbosity", 0));
  for (auto cmd : {"version", "hostid", "config_age", "config_md5_digest", "no_such_command", ""}) {
    CHECK_FALSE(admin_key_disabled(cmd, 0));
  }
}

TEST_CASE("admin guard: stats groups that list or name servers", "[admin]") {
  CHECK(stats_needs_admin_keys("servers"));
  CHECK(stats_needs_admin_keys("suspect_servers"));
  CHECK(stats_needs_admin_keys("destinations"));
  CHECK(stats_needs_admin_keys("settings 10.0.0.1:11211"));
  CHECK(stats_needs_admin_keys("items  10.0.0.1:11211"));
  CHECK_FALSE(stats_needs_admin_keys(""));
  CHECK_FALSE(stats_needs_admin_keys("all"));
  CHECK_FALSE(stats_needs_admin_keys("detailed"));
  CHECK_FALSE(stats_needs_admin_keys("version"));
  CHECK_FALSE(stats_needs_admin_keys("settings"));
  CHECK_FALSE(stats_needs_admin_keys("slabs"));
}

TEST_CASE("admin guard: merged stats settings lose the listen address", "[admin]") {
  std::string reply = "STAT maxbytes 67108864\r\nSTAT inter 10.0.0.1\r\nSTAT tcpport 11211\r\nEND\r\n";
  CHECK(hide_server_addresses("settings", reply) == "STAT maxbytes 67108864\r\nSTAT tcpport 11211\r\nEND\r\n");
  CHECK(hide_server_addresses("items", reply) == reply);
  CHECK(hide_server_addresses("settings", "STAT inter NULL\r\nEND\r\n") == "END\r\n");
}

TEST_CASE("options: the command line as `stats` shows it hides the config", "[options][admin]") {
  auto o = parse_options({"-p", "5000", "--config", "file:/etc/mcrelay/config.json", "-f", "/x.json",
                          "--config-str={\"pools\":{}}", "--config-params", "a:1", "-t", "100"})
               .options;
  CHECK(o.command_args ==
        "-p 5000 --config file:/etc/mcrelay/config.json -f /x.json --config-str={\"pools\":{}} --config-params a:1 -t 100");
  CHECK(o.command_args_redacted ==
        "-p 5000 --config <hidden> -f <hidden> --config-str=<hidden> --config-params <hidden> -t 100");
  CHECK(parse_options({"-f/x.json"}).options.command_args_redacted == "-f<hidden>");
}
