// parse_options: mcrouter's -v/--verbosity as a log level, alongside --log-level.
#include <catch2/catch.hpp>

#include "proxy/options.hpp"

using namespace mcrelay;

namespace {

ParsedOptions parse(std::vector<std::string> args) { return parse_options(args); }

}  // namespace

TEST_CASE("options: -v/--verbosity maps mcrouter's verbosity to a log level", "[options]") {
  CHECK(parse({}).options.log_level == "info");  // the default is unchanged
  CHECK(parse({"-v", "0"}).options.log_level == "warn");
  CHECK(parse({"-v", "1"}).options.log_level == "info");
  CHECK(parse({"-v", "2"}).options.log_level == "debug");
  CHECK(parse({"-v", "9"}).options.log_level == "debug");
  CHECK(parse({"--verbosity", "0"}).options.log_level == "warn");
  CHECK(parse({"--verbosity=2"}).options.log_level == "debug");
  CHECK(parse({"-v1"}).options.log_level == "info");
  CHECK(parse({"-v", "1"}).error.empty());
  CHECK(verbosity_log_level(0) == "warn");
  CHECK(verbosity_log_level(1) == "info");
  CHECK(verbosity_log_level(2) == "debug");
  CHECK(verbosity_log_level(1000) == "debug");
}

TEST_CASE("options: -v and --log-level set the same thing; the last one wins", "[options]") {
  CHECK(parse({"-v", "0", "--log-level", "debug"}).options.log_level == "debug");
  CHECK(parse({"--log-level", "error", "-v", "1"}).options.log_level == "info");
  CHECK(parse({"--log-level=warn", "--verbosity=2"}).options.log_level == "debug");
}

TEST_CASE("options: -v with a bad value, and -V is still --version", "[options]") {
  CHECK(parse({"-v", "high"}).error == "invalid --verbosity \"high\" (a number: 0 warn, 1 info, 2+ debug)");
  CHECK(parse({"-v", "-1"}).error == "invalid --verbosity \"-1\" (a number: 0 warn, 1 info, 2+ debug)");
  CHECK(parse({"--verbosity="}).error == "invalid --verbosity \"\" (a number: 0 warn, 1 info, 2+ debug)");
  CHECK(parse({"-v"}).error == "option \"-v\" needs a value");
  auto v = parse({"-V"});
  CHECK(v.error.empty());
  CHECK(v.options.show_version);
  CHECK(v.options.log_level == "info");
}

TEST_CASE("options: -v mixes with mcrouter's other flags", "[options]") {
  auto r = parse({"-p", "5001", "-v", "2", "-f", "/etc/mcrouter/config.json", "--num-proxies", "4"});
  REQUIRE(r.error.empty());
  CHECK(r.options.port == 5001);
  CHECK(r.options.log_level == "debug");
  CHECK(r.options.config == "file:/etc/mcrouter/config.json");
  CHECK(r.options.num_proxies == 4);
  CHECK(usage_text().find("-v, --verbosity N") != std::string::npos);
}

TEST_CASE("options: mcrouter's reply toggles, and the value bound", "[options]") {
  auto none = parse_options({});
  REQUIRE(none.error.empty());
  CHECK_FALSE(none.options.enable_flush_cmd);
  CHECK_FALSE(none.options.send_invalid_route_to_default);
  CHECK_FALSE(none.options.allow_only_gets);
  CHECK_FALSE(none.options.enable_shutdown_cmd);
  CHECK(none.options.max_item_size == 64u * 1024 * 1024);
  auto all = parse_options({"--enable-flush-cmd", "--send-invalid-route-to-default", "--allow-only-gets",
                            "--enable-shutdown-cmd", "--max-item-size", "2m"});
  REQUIRE(all.error.empty());
  CHECK(all.options.enable_flush_cmd);
  CHECK(all.options.send_invalid_route_to_default);
  CHECK(all.options.allow_only_gets);
  CHECK(all.options.enable_shutdown_cmd);
  CHECK(all.options.max_item_size == 2u * 1024 * 1024);
  CHECK_FALSE(parse_options({"--enable-flush-cmd=1"}).error.empty());  // a toggle takes no value
}
