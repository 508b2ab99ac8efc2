// parse_options and the option table: mcrouter's command line, -v/--verbosity as a log level, and the docs.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <set>

#include "proxy/option_table.hpp"
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

// ---- mcrouter's whole command line (proxy/option_table.cpp) ---------------------------------------------

TEST_CASE("options: the table is consistent", "[options]") {
  std::set<std::string_view> names;
  std::set<char> shorts;
  for (const auto& spec : option_table()) {
    INFO("--" << spec.name);
    CHECK(names.insert(spec.name).second);  // no duplicates
    if (spec.short_name != '\0') CHECK(shorts.insert(spec.short_name).second);
    bool needs_setter = spec.effect == OptionEffect::acts || spec.effect == OptionEffect::mcrelay;
    CHECK((spec.set != nullptr) == needs_setter);
    if (spec.toggle_default) CHECK(spec.arg == OptionArg::toggle);
  }
  // mcrouter's short options, each where mcrouter has it.
  for (auto [c, name] : std::vector<std::pair<char, std::string_view>>{
           {'p', "port"}, {'L', "log-path"}, {'a', "async-dir"}, {'r', "probe-timeout-initial"},
           {'t', "server-timeout"}, {'f', "config-file"}, {'R', "route-prefix"}, {'v', "verbosity"},
           {'K', "keepalive-count"}, {'i', "keepalive-interval"}, {'I', "keepalive-idle"}, {'n', "connection-limit"},
           {'h', "help"}, {'V', "version"}, {'P', "pid-file"}, {'b', "background"}}) {
    INFO(c);
    REQUIRE(find_short_option(c) != nullptr);
    CHECK(find_short_option(c)->name == name);
  }
}

TEST_CASE("options: ports, a comma list as mcrouter's -p", "[options]") {
  auto r = parse({"-p", "5000,5001"});
  REQUIRE(r.error.empty());
  CHECK(r.options.port == 5000);
  CHECK(listen_ports(r.options) == std::vector<std::uint16_t>{5000, 5001});
  CHECK(listen_ports(parse({"--port=7"}).options) == std::vector<std::uint16_t>{7});
  CHECK(listen_ports(parse({}).options) == std::vector<std::uint16_t>{5000});
  CHECK(parse({"-p5002"}).options.port == 5002);
  CHECK(parse({"-p", "70000"}).error == "invalid --port \"70000\" (ports from 0 to 65535, comma-separated)");
  CHECK(parse({"-p", ","}).error.starts_with("invalid --port"));
}

TEST_CASE("options: values after '=', after a space, joined to a short option", "[options]") {
  for (auto args : std::vector<std::vector<std::string>>{{"-t", "250"}, {"-t250"}, {"--server-timeout", "250"},
                                                         {"--server-timeout=250"}, {"--server-t=250"}}) {
    auto r = parse(args);
    INFO(args[0]);
    REQUIRE(r.error.empty());
    CHECK(r.options.server_timeout_ms == 250);
  }
  CHECK(parse({"-r", "77"}).options.probe_timeout_initial_ms == 77);
  CHECK(parse({"-a", "/tmp/spool"}).options.async_dir == "/tmp/spool");
  CHECK(parse({"-L", "/tmp/l.log"}).options.log_path == "/tmp/l.log");
  CHECK(parse({"-R", "/a/b/"}).options.route_prefix == "/a/b/");
}

TEST_CASE("options: toggles: bare, and =VALUE as mcrouter's parser takes it", "[options]") {
  CHECK(parse({"--asynclog-disable"}).options.asynclog_disable);
  CHECK(parse({"--asynclog-disable=1"}).options.asynclog_disable);
  CHECK(parse({"--asynclog-disable=true"}).options.asynclog_disable);
  CHECK(parse({"--asynclog-disable=YES"}).options.asynclog_disable);
  CHECK_FALSE(parse({"--asynclog-disable=0"}).options.asynclog_disable);
  CHECK_FALSE(parse({"--asynclog-disable=off"}).options.asynclog_disable);
  CHECK(parse({"--asynclog-disable=maybe"}).error ==
        "invalid --asynclog-disable \"maybe\" (1/0, true/false, yes/no, on/off)");
  CHECK(parse({"--disable-reload-configs"}).options.disable_reload_configs);
  // A toggle takes its value only after '=': the next word is not swallowed.
  CHECK(parse({"--asynclog-disable", "0"}).error.starts_with("unexpected argument \"0\""));
}

TEST_CASE("options: accepted without effect, listed once for the warning", "[options]") {
  auto r = parse({"--fibers-stack-size", "65536", "--enable-axonlog", "-K", "3", "--fibers-stack-size=1", "-D", "2",
                  "--disable-miss-on-get-errors=0", "-d", "--carbon-router-name", "Memcache"});
  REQUIRE(r.error.empty());
  CHECK(r.options.no_effect_options == std::vector<std::string>{"--fibers-stack-size", "--enable-axonlog",
                                                                "--debug-level", "--debug", "--carbon-router-name"});
  // mcrouter's quirk, kept: "=0" sets the field miss_on_get_errors to false, as the bare flag does.
  CHECK_FALSE(r.options.miss_on_get_errors);
  CHECK(parse({}).options.miss_on_get_errors);
  CHECK_FALSE(parse({"--disable-miss-on-get-errors"}).options.miss_on_get_errors);
  CHECK(parse({"--disable-miss-on-get-errors=1"}).options.miss_on_get_errors);
  CHECK(parse({"--disable-miss-on-arith-errors"}).options.disable_miss_on_arith_errors);
  CHECK(r.options.keepalive_count == 3);  // -K acts
  // mcrouter reply behaviour another part of mcrelay handles: accepted, not warned about.
  auto e = parse({"--enable-flush-cmd", "--send-invalid-route-to-default", "--allow-only-gets"});
  REQUIRE(e.error.empty());
  CHECK(e.options.no_effect_options.empty());
}

TEST_CASE("options: TLS and Unix socket flags (mcrouter's names)", "[options][tls]") {
  auto r = parse({"--ssl-port", "5001,5002", "--server-pem-cert-path", "/c.pem", "--server-pem-key-path=/k.pem",
                  "--server-pem-ca-path", "/ca.pem", "--ssl-require-peer-certs", "--pem-cert-path", "/cc.pem",
                  "--pem-key-path", "/ck.pem", "--pem-ca-path", "/sca.pem", "--ssl-service-identity", "cache.svc",
                  "--tls-handshake-timeout-ms", "250", "--tls-reload-interval-ms", "100"});
  REQUIRE(r.error.empty());
  CHECK(r.options.ssl_ports == std::vector<std::uint16_t>{5001, 5002});
  CHECK(r.options.port == 5000);  // the plain port is unchanged
  CHECK(r.options.server_pem_cert_path == "/c.pem");
  CHECK(r.options.server_pem_key_path == "/k.pem");
  CHECK(r.options.server_pem_ca_path == "/ca.pem");
  CHECK(r.options.ssl_require_peer_certs);
  CHECK(r.options.pem_cert_path == "/cc.pem");
  CHECK(r.options.pem_key_path == "/ck.pem");
  CHECK(r.options.pem_ca_path == "/sca.pem");
  CHECK(r.options.ssl_service_identity == "cache.svc");
  CHECK(r.options.tls_handshake_timeout_ms == 250);
  CHECK(r.options.tls_reload_interval_ms == 100);
  CHECK(r.options.no_effect_options.empty());  // none of them is ignored any more

  CHECK(parse({"--unix-domain-sock=/tmp/s"}).options.unix_domain_sock == "/tmp/s");
  CHECK(parse({"--unix-domain-sock", "/" + std::string(107, 'a')}).error.starts_with("invalid --unix-domain-sock"));
  CHECK(parse({"--ssl-port", "x"}).error == "invalid --ssl-port \"x\" (ports from 0 to 65535, comma-separated)");
}

TEST_CASE("options: TLS flags that need each other are an error (exit 2)", "[options][tls]") {
  CHECK(parse({"--ssl-port", "5001"}).error ==
        "--ssl-port needs --server-pem-cert-path and --server-pem-key-path (the listeners' certificate and key)");
  CHECK(parse({"--ssl-port", "5001", "--server-pem-cert-path", "/c"}).error.starts_with("--ssl-port needs"));
  CHECK(parse({"--ssl-require-peer-certs"}).error.starts_with("--ssl-require-peer-certs needs --server-pem-ca-path"));
  CHECK(parse({"--pem-cert-path", "/c"}).error.starts_with("--pem-cert-path and --pem-key-path go together"));
  CHECK(parse({"--unix-domain-sock", "/s", "--listen-sock-fd", "3"}).error.starts_with("--unix-domain-sock and"));
  CHECK(parse({"--ssl-port", "5443", "--server-pem-cert-path", "/c", "--server-pem-key-path", "/k",
               "--unix-domain-sock", "/s"}).error.starts_with("--ssl-port cannot be combined"));
  CHECK(parse({"--ssl-port", "5443", "--server-pem-cert-path", "/c", "--server-pem-key-path", "/k",
               "--listen-sock-fd", "3"}).error.starts_with("--ssl-port cannot be combined"));
  CHECK(parse({"--server-pem-cert-path", "/c", "--server-pem-key-path", "/k"}).error.empty());  // no TLS port: fine
}

TEST_CASE("options: a typo is an error with a suggestion; prefixes as getopt_long", "[options]") {
  CHECK(parse({"--num-proxie", "2"}).options.num_proxies == 2);  // a unique prefix
  CHECK(parse({"--num-prixies", "2"}).error == "unknown option \"--num-prixies\"; did you mean \"--num-proxies\"? (see --help)");
  CHECK(parse({"--server-timout=5"}).error == "unknown option \"--server-timout\"; did you mean \"--server-timeout\"? (see --help)");
  CHECK(parse({"--bogus"}).error == "unknown option \"--bogus\" (see --help)");
  CHECK(parse({"-Z"}).error == "unknown option \"-Z\" (see --help)");
  CHECK(parse({"--conf", "x"}).error.starts_with("option \"--conf\" is ambiguous: --config, --config-dump-root"));
  CHECK(parse({"flavor"}).error.starts_with("unexpected argument \"flavor\""));
}

TEST_CASE("options: mcrouter's special values", "[options]") {
  CHECK(parse({"--proxy-threads", "3"}).options.num_proxies == 3);
  CHECK(parse({"--proxy-threads=auto"}).options.num_proxies == available_cpus());
  CHECK(parse({"--proxy-threads", "0"}).error.starts_with("invalid --proxy-threads \"0\""));
  CHECK(parse({"--max-client-outstanding-reqs", "0"}).options.max_client_outstanding == (1u << 20));
  CHECK(parse({"--max-client-outstanding-reqs", "10"}).options.max_client_outstanding == 10);
  CHECK(parse({"--max-conns", "1"}).options.max_conns == 1);  // resolved against RLIMIT_NOFILE at start-up
  CHECK(max_conns_from_rlimit() > 0);
  auto deprecated = parse({"--retry-timeout", "1234"});
  CHECK(deprecated.options.probe_timeout_initial_ms == 1234);
  CHECK(deprecated.options.notes == std::vector<std::string>{"--retry-timeout is deprecated, use --probe-timeout-initial"});
  CHECK(parse({"--core-multiplier", "1.5"}).options.core_multiplier == 1.5);
  CHECK(parse({"--core-multiplier", "x"}).error.starts_with("invalid --core-multiplier"));
  CHECK(parse({"--listen-sock-fd", "7"}).options.listen_sock_fd == 7);
  CHECK(parse({"--big-value-split-threshold", "524288"}).options.big_value_split_threshold == 524288);
  CHECK(parse({"--service-name", "my_svc-1"}).options.service_name == "my_svc-1");
  CHECK(parse({"--service-name", "a/b"}).error.starts_with("invalid --service-name"));
}

TEST_CASE("options: --validate-config[=exit|run]", "[options]") {
  CHECK(parse({"--validate-config"}).options.validate_config);
  CHECK(parse({"--validate-config=exit"}).options.validate_config);
  auto run = parse({"--validate-config=run"});
  CHECK_FALSE(run.options.validate_config);
  CHECK(run.options.validate_config_run);
  CHECK(parse({"--validate-config=yes"}).error == "invalid --validate-config \"yes\" (exit or run)");
}

TEST_CASE("options: --config-params and the config precedence", "[options]") {
  auto r = parse({"--config-params", "region:us,cluster:c1,empty:"});
  REQUIRE(r.error.empty());
  CHECK(r.options.config_params ==
        std::map<std::string, std::string>{{"cluster", "c1"}, {"empty", ""}, {"region", "us"}});
  CHECK(parse({"--config-params", "novalue"}).error.starts_with("invalid --config-params"));
  // mcrouter: --config supersedes -f and --config-str whatever the order.
  CHECK(parse({"--config", "file:/a", "-f", "/b"}).options.config == "file:/a");
  CHECK(parse({"--config-str", "{}", "-f", "/b"}).options.config == "file:/b");
  CHECK(parse({"--route-key", "get", "k"}).options.route_key == std::vector<std::string>{"get", "k"});
}

TEST_CASE("options: the Helm chart's \"-p 5000\" as one argument", "[options]") {
  // stable/mcrouter/templates/daemonset.yaml: args: ["-p {{ port }}", ...]: getopt gives -p the value " 5000".
  auto r = parse({"-p 5000", "--config-file=/etc/mcrouter/config.json"});
  REQUIRE(r.error.empty());
  CHECK(r.options.port == 5000);
  CHECK(parse({"--num-proxies", " 4 "}).options.num_proxies == 4);
  CHECK(parse({"-p", " "}).error.starts_with("invalid --port"));
}

TEST_CASE("options: docs/configuration.md names every option of the table", "[options]") {
  std::ifstream f(MCRELAY_SOURCE_DIR "/docs/configuration.md");
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  for (const auto& spec : option_table()) {
    INFO("--" << spec.name);
    CHECK(doc.find("`--" + std::string(spec.name)) != std::string::npos);
  }
  // --help lists every option, those without effect too, so that the warning can be looked up.
  for (const auto& spec : option_table()) {
    INFO("--" << spec.name);
    CHECK(usage_text().find("--" + std::string(spec.name)) != std::string::npos);
  }
}

TEST_CASE("options: keepalive, TKO tracking and reconfiguration delay", "[options]") {
  auto r = parse({"-K", "5", "-i", "30", "-I", "120", "--disable-tko-tracking", "--reconfiguration-delay-ms=1000"});
  REQUIRE(r.error.empty());
  CHECK(r.options.keepalive_count == 5);
  CHECK(r.options.keepalive_interval_s == 30);
  CHECK(r.options.keepalive_idle_s == 120);
  CHECK(r.options.disable_tko_tracking);
  CHECK(r.options.reconfiguration_delay_ms == 1000);
  CHECK(parse({"-K", "0"}).options.keepalive_count == 0);
  CHECK(parse({"-i", "0"}).error.starts_with("invalid --keepalive-interval"));
  CHECK(parse({"--reset-inactive-connection-interval", "0"}).options.reset_inactive_connection_interval_ms == 0);
  CHECK(parse({}).options.reset_inactive_connection_interval_ms == 60000);
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
  CHECK(parse_options({"--enable-flush-cmd=1"}).options.enable_flush_cmd);  // mcrouter toggles take =1
}
