// Older mcrouter config forms (top-level "clusters", "regional_pools", a pool's "server_list_from_pool") and
// the unknown-key policy (config/suggest.hpp misspelt_key): what loads, what is warned about, what fails.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/suggest.hpp"

using namespace mcrelay::config;

namespace {

std::string error_for(const std::string& text) {
  try {
    parse_config(text, "config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> servers_of(const Config& c, const std::string& pool) {
  std::vector<std::string> out;
  for (const auto& s : c.pools.at(pool).servers) out.push_back(s.text);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("config: the top-level clusters form of old mcrouter configs", "[config][clusters]") {
  // mcrouter's test_basic_failover.json: pools grouped by cluster, routed by name like any pool.
  auto c = parse_config(R"j({
      "clusters": {
        "A": {"pools": {"A.wildcard": {"servers": ["localhost:12345"]}}},
        "B": {"cluster": "B", "pools": {"B.wildcard": {"servers": ["localhost:12346", "localhost:12347"]}}}
      },
      "pools": {"top": {"servers": ["h:1"]}},
      "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A.wildcard"}]})j",
                        "config.json");
  CHECK(c.pools.size() == 3);
  CHECK(servers_of(c, "A.wildcard") == V{"localhost:12345"});
  CHECK(servers_of(c, "B.wildcard") == V{"localhost:12346", "localhost:12347"});
  CHECK(c.pools.at("B.wildcard").json_path == "clusters.B.pools[\"B.wildcard\"]");
  // The cluster's own "cluster" key means nothing to mcrelay (nor to mcrouter): ignored, with a warning.
  CHECK(c.warnings == V{"config.json: clusters.B.cluster: unknown cluster key \"cluster\" ignored (known keys: pools)"});

  CHECK(error_for(R"j({"clusters": {"A": {"pools": {"P": {"servers": ["h:1"]}}},
                                     "B": {"pools": {"P": {"servers": ["h:2"]}}}}, "route": "PoolRoute|P"})j") ==
        "config.json: clusters.B.pools.P: duplicate pool \"P\" (also at clusters.A.pools.P)");
  CHECK(error_for(R"j({"clusters": {"A": {"pools": {"P": {"servers": ["h:1"]}}}}, "pools": {"P": {"servers": ["h:2"]}},
                       "route": "PoolRoute|P"})j") ==
        "config.json: clusters.A.pools.P: duplicate pool \"P\" (also at pools.P)");
  CHECK(error_for(R"j({"clusters": [], "route": "NullRoute"})j") ==
        "config.json: clusters: must be an object mapping cluster names to {\"pools\": {...}}, got a list");
  CHECK(error_for(R"j({"clusters": {"A": 1}, "route": "NullRoute"})j") ==
        "config.json: clusters.A: a cluster must be an object with \"pools\", got 1");
  CHECK(error_for(R"j({"clusters": {"A": {"pool": {}}}, "route": "NullRoute"})j") ==
        "config.json: clusters.A.pool: unknown cluster key \"pool\" (did you mean \"pools\"?)");
  CHECK(error_for(R"j({"clusters": {"A": {"migrated_pools": {}}}, "route": "NullRoute"})j") ==
        "config.json: clusters.A.migrated_pools: \"migrated_pools\" (mcrouter's old pool migration) is not "
        "supported; use a MigrateRoute");
  CHECK(error_for(R"j({"clusters": {"A": {"pools": {"P": {"servers": []}}}}, "route": "NullRoute"})j") ==
        "config.json: clusters.A.pools.P.servers: must not be empty (a pool needs at least one server)");
}

TEST_CASE("config: regional_pools are pools", "[config][clusters]") {
  auto c = parse_config(R"j({"regional_pools": {"R": {"servers": ["h:1"]}}, "route": "PoolRoute|R"})j", "config.json");
  CHECK(servers_of(c, "R") == V{"h:1"});
}

TEST_CASE("config: server_list_from_pool takes another pool's servers", "[config][clusters]") {
  // mcrouter's test_server_list_from_another_pool.json.
  auto c = parse_config(R"j({"pools": {"A.alt": {"server_list_from_pool": "A.pri", "server_timeout": 50},
                                       "A.pri": {"servers": ["localhost:12345", "localhost:12346"]}},
                             "route": "PoolRoute|A.alt"})j",
                        "config.json");
  CHECK(servers_of(c, "A.alt") == V{"localhost:12345", "localhost:12346"});
  CHECK(c.pools.at("A.alt").server_timeout_ms == 50u);  // its own options stay its own
  CHECK_FALSE(c.pools.at("A.pri").server_timeout_ms);
  // Found in another pools object (a cluster) too.
  auto across = parse_config(R"j({"clusters": {"X": {"pools": {"src": {"servers": ["h:1"]}}}},
                                  "pools": {"alt": {"server_list_from_pool": "src"}}, "route": "PoolRoute|alt"})j",
                             "config.json");
  CHECK(servers_of(across, "alt") == V{"h:1"});

  CHECK(error_for(R"j({"pools": {"a": {"server_list_from_pool": "nope"}}, "route": "PoolRoute|a"})j") ==
        "config.json: pools.a.server_list_from_pool: no pool named \"nope\"");
  CHECK(error_for(R"j({"pools": {"a": {"server_list_from_pool": 1}}, "route": "PoolRoute|a"})j") ==
        "config.json: pools.a.server_list_from_pool: must be a pool name, got 1");
  CHECK(error_for(R"j({"pools": {"a": {"server_list_from_pool": "b"}, "b": {"server_list_from_pool": "a"}},
                       "route": "PoolRoute|a"})j") ==
        "config.json: pools.a.server_list_from_pool: pool \"b\" has no \"servers\" list to take (it must list its "
        "servers itself)");
}

TEST_CASE("config: the unknown-key policy", "[config][suggest]") {
  const std::vector<std::string_view> known = {"pools", "route", "routes", "named_handles", "to", "hash"};
  CHECK(misspelt_key("rotue", known) == "route");        // transposition
  CHECK(misspelt_key("Pools", known) == "pools");        // case
  CHECK(misspelt_key("ROUTES", known) == "routes");
  CHECK(misspelt_key("named_handle", known) == "named_handles");
  CHECK(misspelt_key("poolz_", known) == "pools");       // distance 2
  CHECK_FALSE(misspelt_key("servers", known));
  CHECK_FALSE(misspelt_key("default", known));
  CHECK(misspelt_key("hsah", known) == "hash");          // short keys: one edit
  CHECK_FALSE(misspelt_key("ttl", known));                // "to" is two edits away: not a typo of it
  CHECK_FALSE(misspelt_key("cash_", known));

  // Top level: a typo fails, anything else is a warning and the config loads.
  CHECK(error_for(R"j({"rotue": "NullRoute"})j") ==
        "config.json: rotue: unknown top-level key \"rotue\" (did you mean \"route\"?)");
  auto c = parse_config(R"j({"route": "NullRoute", "flavor": "web", "macros_version": 2})j", "config.json");
  CHECK(c.warnings.size() == 2);
  CHECK(c.warnings.at(0).find("config.json: flavor: unknown top-level key \"flavor\" ignored") == 0);
}
