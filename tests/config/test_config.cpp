// parse_config / load_config_file: the top level and pools of mcrouter-format configs, and the exact
// operator-facing error messages.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "config/config.hpp"
#include "config/json_path.hpp"
#include "routes/hash/md5.hpp"
#include "config/routing_prefix.hpp"
#include "config/suggest.hpp"

using namespace mcrelay::config;
using nlohmann::json;

namespace {

// what() of the ConfigError parsing `text` throws ("" if it loads).
std::string error_for(const std::string& text, std::string_view default_prefix = kDefaultRoutePrefix) {
  try {
    parse_config(text, "config.json", default_prefix);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A config with one pool "A" whose body is `pool` (JSON object text).
std::string with_pool(const std::string& pool) {
  return R"j({"pools": {"A": )j" + pool + R"j(}, "route": "PoolRoute|A"})j";
}

// A config with pool A and the given "routes" value.
std::string with_routes(const std::string& routes) {
  return R"j({"pools": {"A": {"servers": ["h:1"]}}, "routes": )j" + routes + "}";
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents)
      : path_((std::filesystem::temp_directory_path() /
               ("mcrelay_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".json"))
                  .string()) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

}  // namespace

TEST_CASE("config: the reference examples load", "[config]") {
  SECTION("single pool, PoolRoute shorthand") {
    const std::string text = R"j({"pools": {"A": {"servers": ["127.0.0.1:5001"]}}, "route": "PoolRoute|A"})j";
    const Config c = parse_config(text, "<command line>");
    CHECK(c.source == "<command line>");
    CHECK(c.text == text);
    REQUIRE(c.pools.size() == 1);
    const PoolConfig& a = c.pools.at("A");
    CHECK(a.name == "A");
    CHECK(a.json_path == "pools.A");
    REQUIRE(a.servers.size() == 1);
    CHECK(a.servers[0].host == "127.0.0.1");
    CHECK(a.servers[0].port == 5001);
    CHECK(a.weights.empty());
    CHECK_FALSE(a.server_timeout_ms.has_value());
    CHECK_FALSE(a.connect_timeout_ms.has_value());
    CHECK_FALSE(a.keep_routing_prefix);
    CHECK(a.raw == json::parse(R"j({"servers": ["127.0.0.1:5001"]})j"));
    REQUIRE(c.routes.size() == 1);
    CHECK(c.routes[0].aliases == std::vector<std::string>{"/././"});
    CHECK(c.routes[0].route == "PoolRoute|A");
    CHECK(c.routes[0].json_path == "route");
    CHECK(c.named_handles.empty());
    CHECK(c.root.is_object());
  }
  SECTION("replicated pool with OperationSelectorRoute") {
    const Config c = parse_config(R"j({"pools": {"A": {"servers": ["10.0.0.1:11211", "10.0.0.2:11211"]}},
 "route": {"type": "OperationSelectorRoute",
           "operation_policies": {"add": "AllSyncRoute|Pool|A", "delete": "AllSyncRoute|Pool|A",
                                  "get": "LatestRoute|Pool|A", "set": "AllSyncRoute|Pool|A"}}})j",
                                  "replicated.json");
    REQUIRE(c.pools.at("A").servers.size() == 2);
    CHECK(c.pools.at("A").servers[1].text == "10.0.0.2:11211");
    REQUIRE(c.routes.size() == 1);
    CHECK(c.routes[0].route["type"] == "OperationSelectorRoute");
    CHECK(c.routes[0].route["operation_policies"]["get"] == "LatestRoute|Pool|A");
  }
  SECTION("pool names with dots, FailoverWithExptimeRoute") {
    const Config c = parse_config(
        R"j({"pools": {"A.wildcard": {"servers": ["localhost:12345"]}, "B.wildcard": {"servers": ["localhost:12346"]}},
 "route": {"type": "FailoverWithExptimeRoute", "failover": "PoolRoute|B.wildcard",
           "normal": "PoolRoute|A.wildcard"}})j",
        "failover.json");
    REQUIRE(c.pools.size() == 2);
    CHECK(c.pools.at("A.wildcard").servers[0].text == "localhost:12345");
    CHECK(c.pools.at("B.wildcard").servers[0].port == 12346);
    CHECK(c.pools.at("A.wildcard").json_path == "pools[\"A.wildcard\"]");
    CHECK(c.routes[0].route["normal"] == "PoolRoute|A.wildcard");
  }
}

TEST_CASE("config: a Helm-chart-style config with comments and a trailing comma", "[config]") {
  const std::string text = R"j({
  "pools": {
    "A": {
      "servers": [
        // hosts of the replicated pool, see the mcrouter wiki "Replicated pools setup", e.g.:
        "mcrouter-memcached-0.mcrouter-memcached.default.svc.cluster.local:11211",
        "mcrouter-memcached-1.mcrouter-memcached.default.svc.cluster.local:11211",
        "mcrouter-memcached-2.mcrouter-memcached.default.svc.cluster.local:11211",
      ]
    }
  },
  "route": {
    "type": "OperationSelectorRoute",
    "operation_policies": {
      "add": "AllSyncRoute|Pool|A",
      "delete": "AllSyncRoute|Pool|A",
      "get": "LatestRoute|Pool|A",
      "set": "AllSyncRoute|Pool|A"
    }
  }
}
)j";
  const TempFile file(text);
  const Config c = load_config_file(file.path());
  CHECK(c.source == file.path());
  CHECK(c.text == text);
  CHECK(mcrelay::md5_hex(c.text).size() == 32);
  REQUIRE(c.pools.at("A").servers.size() == 3);
  CHECK(c.pools.at("A").servers[2].host == "mcrouter-memcached-2.mcrouter-memcached.default.svc.cluster.local");
  CHECK(c.routes[0].route["operation_policies"]["set"] == "AllSyncRoute|Pool|A");
}

TEST_CASE("config: pool options", "[config]") {
  const Config c = parse_config(R"j({
    "pools": {
      "A": {"servers": ["h1:1", "[::1]:2", "h3"], "weights": [1, 0.5, 0], "server_timeout": 250,
            "connect_timeout": 1000, "keep_routing_prefix": true, "protocol": "ASCII", "hash": "ch3",
            "use_ssl": false, "security_mech": "plain"},
      "B": {"servers": ["h4:4"], "protocol": "ascii"}
    },
    "route": "PoolRoute|A"
  })j",
                                "c.json");
  const PoolConfig& a = c.pools.at("A");
  CHECK(a.servers.size() == 3);
  CHECK(a.servers[2].port == 11211);
  CHECK(a.servers[2].text == "h3:11211");
  CHECK(a.servers[1].text == "[::1]:2");
  CHECK(a.weights == std::vector<double>{1.0, 0.5, 0.0});
  CHECK(a.server_timeout_ms == 250u);
  CHECK(a.connect_timeout_ms == 1000u);
  CHECK(a.keep_routing_prefix);
  CHECK(a.raw["hash"] == "ch3");
  CHECK(c.pools.at("B").servers[0].text == "h4:4");
}

TEST_CASE("config: a pool discovered from a headless Service", "[config]") {
  SECTION("all options") {
    const Config c = parse_config(with_pool(R"j({"discover": {"service": "mycache-memcached.default.svc.cluster.local",
      "port": 11212, "refresh_ms": 1000, "port_name": "memcache", "scale_down_grace": 5}, "hash": "Ch3"})j"),
                                  "c.json");
    const PoolConfig& a = c.pools.at("A");
    CHECK(a.servers.empty());
    REQUIRE(a.discover.has_value());
    CHECK(a.discover->service == "mycache-memcached.default.svc.cluster.local");
    CHECK(a.discover->port == 11212);
    CHECK(a.discover->port_name == "memcache");
    CHECK(a.discover->refresh_ms == 1000u);
    CHECK(a.discover->scale_down_grace == 5u);
    CHECK(a.raw["hash"] == "Ch3");
  }
  SECTION("defaults; a trailing dot is dropped") {
    const Config c = parse_config(with_pool(R"j({"discover": {"service": "mc.default.svc.cluster.local."}})j"),
                                  "c.json");
    const PoolConfig& a = c.pools.at("A");
    REQUIRE(a.discover.has_value());
    CHECK(a.discover->service == "mc.default.svc.cluster.local");
    CHECK(a.discover->port == 11211);
    CHECK(a.discover->port_name.empty());
    CHECK(a.discover->refresh_ms == 5000u);
    CHECK(a.discover->scale_down_grace == 3u);
  }
  SECTION("scale_down_grace 0 and the smallest refresh_ms") {
    const Config c = parse_config(
        with_pool(R"j({"discover": {"service": "mc", "refresh_ms": 100, "scale_down_grace": 0}})j"), "c.json");
    CHECK(c.pools.at("A").discover->refresh_ms == 100u);
    CHECK(c.pools.at("A").discover->scale_down_grace == 0u);
  }
  SECTION("pools given as servers have no discover") {
    const Config c = parse_config(with_pool(R"j({"servers": ["h:1"]})j"), "c.json");
    CHECK_FALSE(c.pools.at("A").discover.has_value());
  }
}

TEST_CASE("config: discover errors", "[config]") {
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "discover": {"service": "mc"}})j")) ==
        "config.json: pools.A: both \"servers\" and \"discover\" are given; use exactly one");
  CHECK(error_for(with_pool(R"j({"discover": "mc.default.svc"})j")) ==
        "config.json: pools.A.discover: must be an object with \"service\" (a headless Service's DNS name), got "
        "\"mc.default.svc\"");
  CHECK(error_for(with_pool(R"j({"discover": {"port": 11211}})j")) ==
        "config.json: pools.A.discover: missing \"service\" (the DNS name of a headless Service, e.g. "
        "\"mycache-memcached.default.svc.cluster.local\")");
  CHECK(error_for(with_pool(R"j({"discover": {"service": 1}})j")) ==
        "config.json: pools.A.discover.service: must be a DNS name (a string), got 1");
  CHECK(error_for(with_pool(R"j({"discover": {"service": ""}})j")) ==
        "config.json: pools.A.discover.service: must not be empty, got \"\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc.svc:11211"}})j")) ==
        "config.json: pools.A.discover.service: must be a DNS name without a port (give the port in \"port\"), got "
        "\"mc.svc:11211\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc..svc"}})j")) ==
        "config.json: pools.A.discover.service: has an empty label, got \"mc..svc\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc svc"}})j")) ==
        "config.json: pools.A.discover.service: must be a DNS name (letters, digits, '-', '_' and dots), got "
        "\"mc svc\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port": 0}})j")) ==
        "config.json: pools.A.discover.port: must be a port number between 1 and 65535, got 0");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port": 65536}})j")) ==
        "config.json: pools.A.discover.port: must be a port number between 1 and 65535, got 65536");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port": "11211"}})j")) ==
        "config.json: pools.A.discover.port: must be a port number between 1 and 65535, got \"11211\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port": 11211.5}})j")) ==
        "config.json: pools.A.discover.port: must be a port number between 1 and 65535, got 11211.5");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "refresh_ms": 99}})j")) ==
        "config.json: pools.A.discover.refresh_ms: must be an integer of at least 100 (milliseconds), got 99");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "refresh_ms": -1}})j")) ==
        "config.json: pools.A.discover.refresh_ms: must be an integer of at least 100 (milliseconds), got -1");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "refresh_ms": 5000000000}})j")) ==
        "config.json: pools.A.discover.refresh_ms: must be an integer of at least 100 (milliseconds), got "
        "5000000000");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "scale_down_grace": -1}})j")) ==
        "config.json: pools.A.discover.scale_down_grace: must be an integer between 0 and 10000 (refreshes), got -1");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port_name": ""}})j")) ==
        "config.json: pools.A.discover.port_name: must be the name of a port of the Service (one DNS label, e.g. "
        "\"memcache\"), got \"\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port_name": "a.b"}})j")) ==
        "config.json: pools.A.discover.port_name: must be the name of a port of the Service (one DNS label, e.g. "
        "\"memcache\"), got \"a.b\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "port_name": "_memcache"}})j")) ==
        "config.json: pools.A.discover.port_name: give the port's name without the leading '_' (\"memcache\" looks "
        "up SRV _memcache._tcp.<service>), got \"_memcache\"");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "refesh_ms": 1000}})j")) ==
        "config.json: pools.A.discover.refesh_ms: unknown key \"refesh_ms\" (did you mean \"refresh_ms\"?)");
  CHECK(error_for(with_pool(R"j({"discover": {"service": "mc", "servers": []}})j")) ==
        "config.json: pools.A.discover.servers: unknown key \"servers\" (known keys: service, port, port_name, "
        "refresh_ms, scale_down_grace)");
}

TEST_CASE("config: pools is optional", "[config]") {
  const Config c = parse_config(R"j({"route": "NullRoute"})j", "c.json");
  CHECK(c.pools.empty());
  CHECK(c.routes.size() == 1);
}

TEST_CASE("config: routes as a list of aliases and as an object", "[config]") {
  SECTION("list") {
    const Config c = parse_config(with_routes(R"j([
      {"aliases": ["/a/b/", "/a/c/"], "route": "PoolRoute|A"},
      {"aliases": ["/x/*/"], "route": {"type": "NullRoute"}},
    ])j"),
                                  "c.json");
    REQUIRE(c.routes.size() == 2);
    CHECK(c.routes[0].aliases == std::vector<std::string>{"/a/b/", "/a/c/"});
    CHECK(c.routes[0].route == "PoolRoute|A");
    CHECK(c.routes[0].json_path == "routes[0].route");
    CHECK(c.routes[1].aliases == std::vector<std::string>{"/x/*/"});
    CHECK(c.routes[1].json_path == "routes[1].route");
  }
  SECTION("object") {
    const Config c = parse_config(with_routes(R"j({"/a/b/": "PoolRoute|A", "/././": "NullRoute"})j"), "c.json");
    REQUIRE(c.routes.size() == 2);
    // nlohmann::json objects iterate in key order.
    CHECK(c.routes[0].aliases == std::vector<std::string>{"/././"});
    CHECK(c.routes[0].json_path == "routes[\"/././\"]");  // keys with dots are quoted
    CHECK(c.routes[1].aliases == std::vector<std::string>{"/a/b/"});
    CHECK(c.routes[1].route == "PoolRoute|A");
  }
  SECTION("the default route prefix applies to `route`") {
    const Config c = parse_config(R"j({"route": "NullRoute"})j", "c.json", "/dc1/web/");
    CHECK(c.routes[0].aliases == std::vector<std::string>{"/dc1/web/"});
  }
}

TEST_CASE("config: named_handles as a list and as an object", "[config]") {
  SECTION("list") {
    const Config c = parse_config(R"j({"pools": {"A": {"servers": ["h:1"]}},
      "named_handles": [{"name": "primary", "type": "PoolRoute", "pool": "A"}, {"name": "none", "type": "NullRoute"}],
      "route": "primary"})j",
                                  "c.json");
    REQUIRE(c.named_handles.size() == 2);
    CHECK(c.named_handles.at("primary")["pool"] == "A");
    CHECK(c.named_handles.at("none")["type"] == "NullRoute");
  }
  SECTION("object") {
    const Config c = parse_config(R"j({"named_handles": {"n": "NullRoute", "e": {"type": "ErrorRoute"}},
      "route": "n"})j",
                                  "c.json");
    REQUIRE(c.named_handles.size() == 2);
    CHECK(c.named_handles.at("n") == "NullRoute");
    CHECK(c.named_handles.at("e")["type"] == "ErrorRoute");
  }
}

TEST_CASE("config: top-level errors", "[config]") {
  CHECK(error_for("[1]") == "config.json: the top level must be a JSON object, got a list");
  CHECK(error_for("\"PoolRoute|A\"") == "config.json: the top level must be a JSON object, got \"PoolRoute|A\"");
  CHECK(error_for(R"j({"rotue": "NullRoute"})j") ==
        "config.json: rotue: unknown top-level key \"rotue\" (did you mean \"route\"?)");
  CHECK(error_for(R"j({"pool": {}, "route": "NullRoute"})j") ==
        "config.json: pool: unknown top-level key \"pool\" (did you mean \"pools\"?)");
  CHECK(error_for(R"j({"Routes": {}, "route": "NullRoute"})j") ==
        "config.json: Routes: unknown top-level key \"Routes\" (did you mean \"routes\"?)");
  CHECK(error_for(R"j({"named_handle": [], "route": "NullRoute"})j") ==
        "config.json: named_handle: unknown top-level key \"named_handle\" (did you mean \"named_handles\"?)");
  // Any other unknown key is ignored, as mcrouter ignores it, with a warning (config/config.hpp).
  CHECK(error_for(R"j({"servers": [], "route": "NullRoute"})j") == "");
  CHECK(parse_config(R"j({"servers": [], "route": "NullRoute"})j", "config.json").warnings ==
        std::vector<std::string>{"config.json: servers: unknown top-level key \"servers\" ignored (known keys: pools, "
                                 "route, routes, named_handles, clusters, regional_pools)"});
  CHECK(error_for(R"j({"route": "NullRoute", "routes": {"/a/b/": "NullRoute"}})j") ==
        "config.json: both \"route\" and \"routes\" are given; use exactly one");
  CHECK(error_for(R"j({"pools": {}})j") ==
        "config.json: missing \"route\" (or \"routes\"): the config must say where to send requests");
  CHECK(error_for(R"j({"route": "NullRoute"})j", "/bad/") ==
        "config.json: route: invalid default routing prefix \"/bad/\" (--route-prefix): expected the form "
        "/region/cluster/ (it must have exactly three '/')");
}

TEST_CASE("config: pools errors", "[config]") {
  CHECK(error_for(R"j({"pools": [], "route": "NullRoute"})j") ==
        "config.json: pools: must be an object mapping pool names to pools, got a list");
  CHECK(error_for(R"j({"pools": {"A": ["h:1"]}, "route": "NullRoute"})j") ==
        "config.json: pools.A: a pool must be an object with \"servers\" or \"discover\", got a list");
  CHECK(error_for(R"j({"pools": {"": {"servers": ["h:1"]}}, "route": "NullRoute"})j") ==
        "config.json: pools[\"\"]: a pool name must not be empty");
  CHECK(error_for(with_pool("{}")) ==
        "config.json: pools.A: missing \"servers\" (a non-empty list of \"host:port\" strings) or \"discover\" (a "
        "headless Service to look up in DNS)");
  CHECK(error_for(with_pool(R"j({"servers": "h:1"})j")) ==
        "config.json: pools.A.servers: must be a non-empty list of \"host:port\" strings, got \"h:1\"");
  CHECK(error_for(with_pool(R"j({"servers": []})j")) ==
        "config.json: pools.A.servers: must not be empty (a pool needs at least one server)");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1", "h:2", 11211]})j")) ==
        "config.json: pools.A.servers[2]: a server must be a \"host:port\" string, got 11211");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1", "h:2", "h:port"]})j")) ==
        "config.json: pools.A.servers[2]: invalid server address \"h:port\": port \"port\" is not a number");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1:caret"]})j")) ==
        "config.json: pools.A.servers[0]: invalid server address \"h:1:caret\": only the ASCII protocol is "
        "supported, got \"caret\"");
  CHECK(error_for(R"j({"pools": {"A.b": {"servers": ["h:70000"]}}, "route": "NullRoute"})j") ==
        "config.json: pools[\"A.b\"].servers[0]: invalid server address \"h:70000\": port must be between 0 and "
        "65535, got 70000");
}

TEST_CASE("config: pool option errors", "[config]") {
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "weights": 1})j")) ==
        "config.json: pools.A.weights: must be a list of numbers in [0, 1], got 1");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1", "h:2"], "weights": [0.5, 1.5]})j")) ==
        "config.json: pools.A.weights[1]: a weight must be a number in [0, 1], got 1.5");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "weights": [-0.1]})j")) ==
        "config.json: pools.A.weights[0]: a weight must be a number in [0, 1], got -0.1");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "weights": ["1"]})j")) ==
        "config.json: pools.A.weights[0]: a weight must be a number in [0, 1], got \"1\"");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "server_timeout": 0})j")) ==
        "config.json: pools.A.server_timeout: must be a positive integer (milliseconds), got 0");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "server_timeout": -5})j")) ==
        "config.json: pools.A.server_timeout: must be a positive integer (milliseconds), got -5");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "server_timeout": 1.5})j")) ==
        "config.json: pools.A.server_timeout: must be a positive integer (milliseconds), got 1.5");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "connect_timeout": "100"})j")) ==
        "config.json: pools.A.connect_timeout: must be a positive integer (milliseconds), got \"100\"");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "connect_timeout": 5000000000})j")) ==
        "config.json: pools.A.connect_timeout: is too large (5000000000 ms)");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "keep_routing_prefix": "yes"})j")) ==
        "config.json: pools.A.keep_routing_prefix: must be true or false, got \"yes\"");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "protocol": "caret"})j")) ==
        "config.json: pools.A.protocol: the caret protocol (Facebook's Carbon binary protocol for Thrift-based "
        "services) is not supported: mcrelay talks to memcached servers in the ascii protocol");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "protocol": 1})j")) ==
        "config.json: pools.A.protocol: only the ascii protocol is supported, got 1");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "use_ssl": "yes"})j")) ==
        "config.json: pools.A.use_ssl: must be true or false, got \"yes\"");
  CHECK(error_for(with_pool(R"j({"servers": ["unix:/run/mc.sock"], "use_ssl": true})j")) ==
        "config.json: pools.A.use_ssl: TLS over a Unix socket (unix:/run/mc.sock) is not supported (as in mcrouter)");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "security_mech": "ktls12"})j")) ==
        "config.json: pools.A.security_mech: must be \"plain\" or \"ssl\" (TLS), got \"ktls12\"");
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "use_ssl": true})j")).empty());
  CHECK(error_for(with_pool(R"j({"servers": ["h:1"], "security_mech": "tls"})j")).empty());
}

TEST_CASE("config: routes errors", "[config]") {
  CHECK(error_for(with_routes("\"PoolRoute|A\"")) ==
        "config.json: routes: must be a list of {\"aliases\": [...], \"route\": ...} or an object mapping "
        "routing prefixes to routes, got \"PoolRoute|A\"");
  CHECK(error_for(with_routes("[]")) == "config.json: routes: must not be empty");
  CHECK(error_for(with_routes("{}")) == "config.json: routes: must not be empty");
  CHECK(error_for(with_routes(R"j(["PoolRoute|A"])j")) ==
        "config.json: routes[0]: must be an object {\"aliases\": [...], \"route\": ...}, got \"PoolRoute|A\"");
  CHECK(error_for(with_routes(R"j([{"route": "PoolRoute|A"}])j")) ==
        "config.json: routes[0]: missing \"aliases\" (a list of routing prefixes like \"/a/b/\")");
  CHECK(error_for(with_routes(R"j([{"aliases": ["/a/b/"]}])j")) == "config.json: routes[0]: missing \"route\"");
  CHECK(error_for(with_routes(R"j([{"alias": ["/a/b/"], "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[0].alias: unknown key \"alias\" (did you mean \"aliases\"?)");
  CHECK(error_for(with_routes(R"j([{"aliases": ["/a/b/"], "route": "PoolRoute|A", "x": 1}])j")) == "");
  CHECK(parse_config(with_routes(R"j([{"aliases": ["/a/b/"], "route": "PoolRoute|A", "x": 1}])j"), "config.json")
            .warnings == std::vector<std::string>{"config.json: routes[0].x: unknown key \"x\" ignored (known keys: "
                                                  "aliases, route)"});
  CHECK(error_for(with_routes(R"j([{"aliases": [], "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[0].aliases: must be a non-empty list of routing prefixes like \"/a/b/\", got a list");
  CHECK(error_for(with_routes(R"j([{"aliases": "/a/b/", "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[0].aliases: must be a non-empty list of routing prefixes like \"/a/b/\", got \"/a/b/\"");
  CHECK(error_for(with_routes(R"j([{"aliases": ["/a/b/", 7], "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[0].aliases[1]: a routing prefix must be a string like \"/a/b/\", got 7");
  CHECK(error_for(with_routes(R"j([{"aliases": ["/a/b/"], "route": "NullRoute"},
                                   {"aliases": ["/a/b"], "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[1].aliases[0]: invalid routing prefix \"/a/b\": expected the form /region/cluster/ "
        "(it must end with '/')");
  CHECK(error_for(with_routes(R"j([{"aliases": ["/a/b/"], "route": "NullRoute"},
                                   {"aliases": ["/c/d/", "/a/b/"], "route": "PoolRoute|A"}])j")) ==
        "config.json: routes[1].aliases[1]: routing prefix \"/a/b/\" is already used at routes[0].aliases[0]");
  CHECK(error_for(with_routes(R"j({"a/b/": "NullRoute"})j")) ==
        "config.json: routes.a/b/: invalid routing prefix \"a/b/\": expected the form /region/cluster/ (it must "
        "start with '/')");
}

TEST_CASE("config: routing prefix format", "[config]") {
  CHECK(is_valid_routing_prefix("/a/b/"));
  CHECK(is_valid_routing_prefix("/././"));
  CHECK(is_valid_routing_prefix("/a/*/"));
  CHECK(is_valid_routing_prefix("/*/*/"));
  CHECK(is_valid_routing_prefix("/dc-1.us/cluster_2/"));
  CHECK_FALSE(is_valid_routing_prefix(""));
  CHECK_FALSE(is_valid_routing_prefix("/"));
  CHECK_FALSE(is_valid_routing_prefix("//b/"));
  CHECK_FALSE(is_valid_routing_prefix("/a//"));
  CHECK_FALSE(is_valid_routing_prefix("/a/b"));
  CHECK_FALSE(is_valid_routing_prefix("a/b/"));
  CHECK_FALSE(is_valid_routing_prefix("/a/b/c/"));
  CHECK_FALSE(is_valid_routing_prefix("/a b/c/"));
  CHECK(error_for(with_routes(R"j({"/a//": "NullRoute"})j")) ==
        "config.json: routes./a//: invalid routing prefix \"/a//\": expected the form /region/cluster/ (its "
        "segments must not be empty)");
  CHECK(error_for(with_routes(R"j({"/a/b/c/": "NullRoute"})j")) ==
        "config.json: routes./a/b/c/: invalid routing prefix \"/a/b/c/\": expected the form /region/cluster/ (it "
        "must have exactly three '/')");
  CHECK(error_for(with_routes(R"j({"/a b/c/": "NullRoute"})j")) ==
        "config.json: routes[\"/a b/c/\"]: invalid routing prefix \"/a b/c/\": expected the form /region/cluster/ "
        "(it must not contain spaces or control characters)");
}

TEST_CASE("config: named_handles errors", "[config]") {
  CHECK(error_for(R"j({"named_handles": "x", "route": "NullRoute"})j") ==
        "config.json: named_handles: must be a list of handles with a \"name\" or an object mapping names to "
        "handles, got \"x\"");
  CHECK(error_for(R"j({"named_handles": ["NullRoute"], "route": "NullRoute"})j") ==
        "config.json: named_handles[0]: a named handle must be an object with a \"name\", got \"NullRoute\"");
  CHECK(error_for(R"j({"named_handles": [{"type": "NullRoute"}], "route": "NullRoute"})j") ==
        "config.json: named_handles[0]: missing \"name\"");
  CHECK(error_for(R"j({"named_handles": [{"name": "", "type": "NullRoute"}], "route": "NullRoute"})j") ==
        "config.json: named_handles[0].name: must be a non-empty string, got \"\"");
  CHECK(error_for(R"j({"named_handles": [{"name": 3, "type": "NullRoute"}], "route": "NullRoute"})j") ==
        "config.json: named_handles[0].name: must be a non-empty string, got 3");
  CHECK(error_for(R"j({"named_handles": [{"name": "n", "type": "NullRoute"}, {"name": "n", "type": "ErrorRoute"}],
                        "route": "NullRoute"})j") ==
        "config.json: named_handles[1]: duplicate handle name \"n\" (also at named_handles[0])");
  CHECK(error_for(R"j({"named_handles": {"": "NullRoute"}, "route": "NullRoute"})j") ==
        "config.json: named_handles[\"\"]: a handle name must not be empty");
}

TEST_CASE("config: syntax errors and macros surface through parse_config", "[config]") {
  CHECK(error_for("{\"pools\": {\n  \"A\": {\"servers\": [\"h:1\"]}\n  \"route\": \"PoolRoute|A\"\n}") ==
        "config.json:3:3: expected ',' or '}'");
  CHECK(error_for(R"j({"pools": {"A": {"servers": ["h:1"]}}, "route": "@route(A)"})j") ==
        "config.json: route: unknown macro @route");
}

TEST_CASE("config: load_config_file errors", "[config]") {
  const std::string missing = (std::filesystem::temp_directory_path() / "mcrelay_no_such_config.json").string();
  try {
    load_config_file(missing);
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "cannot read " + missing + ": No such file or directory");
  }
  const std::string dir = std::filesystem::temp_directory_path().string();
  try {
    load_config_file(dir);
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "cannot read " + dir + ": Is a directory");
  }
  const TempFile bad("{\"route\": \"NullRoute\",\n \"rout\": 1}");
  try {
    load_config_file(bad.path());
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == bad.path() + ": rout: unknown top-level key \"rout\" (did you mean \"route\"?)");
    CHECK(e.source() == bad.path());
    CHECK(e.json_path() == "rout");
  }
}

TEST_CASE("config: json paths and suggestions", "[config]") {
  CHECK(json_path_key("", "route") == "route");
  CHECK(json_path_key("pools", "A") == "pools.A");
  CHECK(json_path_key("pools", "A.wildcard") == "pools[\"A.wildcard\"]");
  CHECK(json_path_key("", "a b") == "[\"a b\"]");
  CHECK(json_path_index("route.children", 2) == "route.children[2]");
  CHECK(edit_distance("route", "route") == 0);
  CHECK(edit_distance("rotue", "route") == 1);
  CHECK(edit_distance("Pools", "pools") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  const std::string_view known[] = {"FailoverRoute", "HashRoute"};
  CHECK(closest_match("FailovrRoute", known) == "FailoverRoute");
  CHECK_FALSE(closest_match("Something", known).has_value());
}
