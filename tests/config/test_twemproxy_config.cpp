// twemproxy YAML configs: detection, translation to the mcrouter-format document, and errors that name the
// line, the pool and the option.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/twemproxy_config.hpp"
#include "proxy/loaded_config.hpp"

using mcrelay::config::ConfigError;
using mcrelay::config::is_twemproxy_yaml;
using mcrelay::config::translate_twemproxy_yaml;

namespace {

const char* kTwoPools = R"(# twemproxy
alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: true
  timeout: 400
  redis: false
  server_retry_timeout: 2000
  server_failure_limit: 1
  server_connections: 2
  preconnect: true
  backlog: 1024
  client_connections: 100
  servers:
   - 127.0.0.1:11211:1
   - 127.0.0.1:11213:2 beta
gamma:
  listen: 0.0.0.0:22122
  distribution: modula
  hash: md5
  servers:
   - 10.0.0.1:11211:1
)";

std::string error_of(const std::string& yaml) {
  try {
    translate_twemproxy_yaml(yaml, "nc.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("twemproxy YAML is told apart from mcrouter JSON", "[config][twemproxy]") {
  CHECK(is_twemproxy_yaml("x.yml", "{}"));
  CHECK(is_twemproxy_yaml("x.yaml", ""));
  CHECK(is_twemproxy_yaml("<command line>", kTwoPools));
  CHECK(is_twemproxy_yaml("<command line>", "---\nalpha:\n  listen: 1.2.3.4:5\n"));
  CHECK_FALSE(is_twemproxy_yaml("x.json", R"({"pools": {}})"));
  CHECK_FALSE(is_twemproxy_yaml("<command line>", "  // comment\n{\"route\": \"NullRoute\"}"));
  CHECK_FALSE(is_twemproxy_yaml("<command line>", "\n\n{\"a\": 1}"));
}

TEST_CASE("twemproxy YAML becomes pools and PoolRoutes with twemproxy hashes", "[config][twemproxy]") {
  auto t = translate_twemproxy_yaml(kTwoPools, "nc.yml");
  const auto& root = t.root;
  REQUIRE(t.listens.size() == 2);
  CHECK(t.listens[0].pool == "alpha");
  CHECK(t.listens[0].address == "127.0.0.1:22121");
  CHECK(t.listens[0].line == 3);
  CHECK(t.listens[1].address == "0.0.0.0:22122");

  const auto& alpha = root["pools"]["alpha"];
  CHECK(alpha["servers"] == nlohmann::json({"127.0.0.1:11211", "127.0.0.1:11213"}));
  CHECK(alpha["server_timeout"] == 400);
  CHECK(alpha["eject_down_servers"] == true);
  CHECK(alpha["server_failure_limit"] == 1);
  CHECK(alpha["server_retry_timeout"] == 2000);
  CHECK_FALSE(root["pools"]["gamma"].contains("eject_down_servers"));

  REQUIRE(root["routes"].size() == 2);  // file order: the first pool is the default route
  const auto& r0 = root["routes"][0];
  CHECK(r0["aliases"] == nlohmann::json({"/alpha/twemproxy/"}));
  CHECK(r0["route"]["pool"] == "alpha");
  const auto& h0 = r0["route"]["hash"];
  CHECK(h0["hash_func"] == "Ketama");
  CHECK(h0["twemproxy"]["hash"] == "fnv1a_64");
  CHECK(h0["twemproxy"]["hash_tag"] == "{}");
  CHECK(h0["twemproxy"]["weights"] == nlohmann::json({1, 2}));
  // No name: the host alone on 11211 (libmemcached compatible), else the name.
  CHECK(h0["twemproxy"]["names"] == nlohmann::json({"127.0.0.1", "beta"}));
  const auto& h1 = root["routes"][1]["route"]["hash"];
  CHECK(h1["hash_func"] == "Modula");
  CHECK(h1["twemproxy"]["hash"] == "md5");

  // The whole loader accepts the translation (and reports the YAML text's source).
  auto config = mcrelay::config::parse_config(kTwoPools, "nc.yml");
  CHECK(config.pools.size() == 2);
  CHECK(config.routes.size() == 2);
  CHECK(config.text == kTwoPools);
}

TEST_CASE("twemproxy YAML errors name the line, the pool and the option", "[config][twemproxy]") {
  using Catch::Contains;
  const std::string head = "p:\n  listen: 127.0.0.1:22121\n";
  const std::string servers = "  servers:\n   - 127.0.0.1:11211:1\n";
  CHECK_THAT(error_of(head + "  hashh: md5\n" + servers),
             Contains("nc.yml:3:3: pool \"p\": hashh: unknown option; twemproxy's are listen, hash"));
  CHECK_THAT(error_of(head + "  redis: true\n" + servers),
             Contains("nc.yml:3:10: pool \"p\": redis: true: a Redis pool; mcrelay serves memcached pools only"));
  CHECK_THAT(error_of(head + "  redis_auth: secret\n" + servers), Contains("nc.yml:3:3: pool \"p\": redis_auth: a Redis"));
  CHECK_THAT(error_of(head + "  redis_db: 1\n" + servers), Contains("redis_db: a Redis option"));
  CHECK_THAT(error_of(head + "  hash: sha1\n" + servers),
             Contains("nc.yml:3:9: pool \"p\": hash: \"sha1\" is not a valid hash; expected one of one_at_a_time"));
  CHECK_THAT(error_of(head + "  distribution: rendezvous\n" + servers), Contains("is not a valid distribution"));
  CHECK_THAT(error_of(head + "  hash_tag: \"{\"\n" + servers), Contains("not a valid hash tag string with two"));
  CHECK_THAT(error_of(head + "  timeout: soon\n" + servers), Contains("timeout: \"soon\" is not a number"));
  CHECK_THAT(error_of(head + "  preconnect: yes\n" + servers), Contains("is not \"true\" or \"false\""));
  CHECK_THAT(error_of(head + "  server_connections: 0\n" + servers), Contains("server_connections: cannot be 0"));
  CHECK_THAT(error_of(head + "  hash: md5\n  hash: crc32\n" + servers), Contains("nc.yml:4:3: pool \"p\": hash: is a duplicate"));
  CHECK_THAT(error_of("p:\n" + servers), Contains("nc.yml:2:3: pool \"p\": directive \"listen:\" is missing"));
  CHECK_THAT(error_of(head), Contains("directive \"servers:\" is missing"));
  CHECK_THAT(error_of("p:\n  listen: nowhere\n" + servers), Contains("invalid \"hostname:port\""));
  CHECK_THAT(error_of(head + "  servers:\n   - 127.0.0.1:11211\n"), Contains("nc.yml:4:6: pool \"p\": servers: "
                                                                             "\"127.0.0.1:11211\": no port"));
  CHECK_THAT(error_of(head + "  servers:\n   - 127.0.0.1:11211:0\n"), Contains("the weight must be in [1, 1000000]"));
  CHECK_THAT(error_of(head + "  servers:\n   - /tmp/mc.sock\n"), Contains("\"/tmp/mc.sock\": no weight"));
  CHECK_THAT(error_of(head + "  servers:\n   - /tmp/mc.sock:0\n"), Contains("the weight must be in [1, 1000000]"));
  CHECK_THAT(error_of(head + "  servers:\n   - /tmp/mc.sock:x\n"), Contains("the weight is not a number"));
  CHECK_THAT(error_of(head + "  servers:\n   - /tmp/a:b.sock:1\n"), Contains("a Unix socket path cannot contain ':'"));
  CHECK_THAT(error_of(head + "  servers:\n   - /" + std::string(120, 'x') + ":1\n"), Contains("longer than 107 bytes"));
  CHECK_THAT(error_of("p:\n  listen: /tmp/nc.sock 0999\n" + servers),
             Contains("nc.yml:2:11: pool \"p\": listen: \"/tmp/nc.sock 0999\" has an invalid file permission"));
  CHECK_THAT(error_of("p:\n  listen: /tmp/nc.sock 01777\n" + servers), Contains("invalid file permission"));
  CHECK_THAT(error_of("p:\n  listen: /tmp/nc.sock rw\n" + servers), Contains("invalid file permission"));
  CHECK_THAT(error_of("p:\n  listen: /" + std::string(120, 'x') + "\n" + servers), Contains("longer than 107 bytes"));
  CHECK_THAT(error_of(head + servers + "q:\n  listen: /tmp/nc.sock\n" + servers + "r:\n  listen: /tmp/nc.sock\n" +
                      servers),
             Contains("listen: /tmp/nc.sock is also the listen address of another pool"));
  CHECK_THAT(error_of(head + "  servers:\n   - a:1:1 x\n   - b:1:1 x\n"), Contains("two servers have the same name \"x\""));
  CHECK_THAT(error_of(head + "  servers: []\n"), Contains("expected a non-empty list"));
  CHECK_THAT(error_of(head + servers + "q:\n  listen: 127.0.0.1:22121\n" + servers),
             Contains("nc.yml:6:1: pool \"q\": listen: 127.0.0.1:22121 is also the listen address of another pool "
                      "(line 2)"));
  CHECK_THAT(error_of(head + "  servers: [\n"), Contains("nc.yml:4:1: YAML: "));
  CHECK_THAT(error_of("- a\n- b\n"), Contains("nc.yml:1:1: expected a mapping of pool names to pools"));
  CHECK_THAT(error_of(""), Contains("nc.yml: the twemproxy config has no pools"));
  CHECK_THAT(error_of("a/b:\n  listen: 127.0.0.1:1\n" + servers), Contains("pool name \"a/b\""));
}

// twemproxy's own example configs (its repository's conf/ directory at 0.5.0), memcached pools only: the
// Redis pools alpha and beta of conf/nutcracker.yml are left out (mcrelay refuses them, checked above).
// Each is loaded the whole way (routes built with inert destinations), as `--validate-config` does.
TEST_CASE("twemproxy's conf/ examples load (memcached pools)", "[config][twemproxy]") {
  const char* nutcracker_yml = R"(gamma:
  listen: 127.0.0.1:22123
  hash: fnv1a_64
  distribution: ketama
  timeout: 400
  backlog: 1024
  preconnect: true
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 3
  servers:
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1

delta:
  listen: 127.0.0.1:22124
  hash: fnv1a_64
  distribution: ketama
  timeout: 100
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:11214:1
   - 127.0.0.1:11215:1
   - 127.0.0.1:11216:1
   - 127.0.0.1:11217:1
   - 127.0.0.1:11218:1
   - 127.0.0.1:11219:1
   - 127.0.0.1:11220:1
   - 127.0.0.1:11221:1
   - 127.0.0.1:11222:1
   - 127.0.0.1:11223:1

omega:
  listen: /tmp/gamma
  hash: hsieh
  distribution: ketama
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:11214:100000
   - 127.0.0.1:11215:1
)";
  const char* leaf_yml = R"(leaf:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1
)";
  const char* root_yml = R"(root:
  listen: 127.0.0.1:22120
  hash: fnv1a_64
  distribution: ketama
  preconnect: true
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:22121:1
)";
  struct Example {
    const char* file;
    const char* text;
    std::size_t pools;
  };
  for (const auto& e : {Example{"nutcracker.yml", nutcracker_yml, 3}, Example{"nutcracker.leaf.yml", leaf_yml, 1},
                        Example{"nutcracker.root.yml", root_yml, 1}}) {
    INFO(e.file);
    auto loaded = mcrelay::load_config_text(e.text, e.file, "/././");
    CHECK(loaded->config.pools.size() == e.pools);
    CHECK(loaded->config.routes.size() == e.pools);
  }
  // The 10-server delta pool: its servers in order, ids host:port (not on 11211).
  auto t = translate_twemproxy_yaml(nutcracker_yml, "nutcracker.yml");
  CHECK(t.root["pools"]["delta"]["servers"].size() == 10);
  CHECK(t.root["pools"]["delta"]["server_timeout"] == 100);
  CHECK(t.root["routes"][2]["route"]["hash"]["twemproxy"]["weights"] == nlohmann::json({100000, 1}));
  CHECK(t.listens[2].address == "/tmp/gamma");
  CHECK(t.listens[2].unix_path == "/tmp/gamma");
  CHECK_FALSE(t.listens[2].unix_mode.has_value());
}

TEST_CASE("twemproxy Unix sockets: listen paths with a file mode, and socket-path servers", "[config][twemproxy]") {
  const std::string yaml = R"(sock:
  listen: /var/run/nutcracker.sock 0666
  distribution: ketama
  servers:
   - /tmp/mc1.sock:1
   - /tmp/mc2.sock:3 second
   - 127.0.0.1:11211:1
plain:
  listen: /tmp/plain.sock
  servers:
   - /tmp/mc1.sock:2
)";
  auto t = translate_twemproxy_yaml(yaml, "nc.yml");
  REQUIRE(t.listens.size() == 2);
  CHECK(t.listens[0].address == "/var/run/nutcracker.sock 0666");
  CHECK(t.listens[0].unix_path == "/var/run/nutcracker.sock");
  REQUIRE(t.listens[0].unix_mode.has_value());
  CHECK(*t.listens[0].unix_mode == 0666);
  CHECK(t.listens[1].unix_path == "/tmp/plain.sock");  // a path alone: no mode, the socket keeps the umask's
  CHECK_FALSE(t.listens[1].unix_mode.has_value());
  const auto& sock = t.root["pools"]["sock"];
  CHECK(sock["servers"] == nlohmann::json::array({"unix:/tmp/mc1.sock", "unix:/tmp/mc2.sock", "127.0.0.1:11211"}));
  const auto& tw = t.root["routes"][0]["route"]["hash"]["twemproxy"];
  // nutcracker's ketama ids: a socket server without a name is "<path>:" (it appends ':' and an empty port).
  CHECK(tw["names"] == nlohmann::json::array({"/tmp/mc1.sock:", "second", "127.0.0.1"}));
  CHECK(tw["weights"] == nlohmann::json::array({1, 3, 1}));
}

TEST_CASE("twemproxy Unix listen paths reach PoolListener with their mode", "[config][twemproxy]") {
  const std::string yaml = "a:\n  listen: /tmp/a.sock 0660\n  servers:\n   - /tmp/mc.sock:1\n"
                           "b:\n  listen: /tmp/b.sock\n  servers:\n   - 127.0.0.1:11211:1\n"
                           "c:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n";
  auto config = mcrelay::config::parse_config(yaml, "nc.yml");
  REQUIRE(config.pool_listeners.size() == 3);
  CHECK(config.pool_listeners[0].unix_path == "/tmp/a.sock");
  CHECK(config.pool_listeners[0].unix_mode == std::optional<unsigned>(0660));
  CHECK(config.pool_listeners[0].route_prefix == "/a/twemproxy/");
  CHECK(config.pool_listeners[1].unix_path == "/tmp/b.sock");
  CHECK_FALSE(config.pool_listeners[1].unix_mode.has_value());
  CHECK(config.pool_listeners[2].unix_path.empty());
  auto loaded = mcrelay::load_config_text(yaml, "nc.yml", "/././");  // routes build, with unix: destinations
  CHECK(loaded->config.pools.at("a").servers.at(0).unix_socket);
}
