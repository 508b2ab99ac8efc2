#pragma once
// twemproxy (nutcracker) YAML configs: `mcrelay --config file:nutcracker.yml` loads a twemproxy config
// unchanged. The YAML is read with libyaml (the parser twemproxy itself uses, so what nutcracker accepts we
// accept) and translated into the mcrouter-format JSON the rest of the loader validates:
//   pool P {listen, hash, hash_tag, distribution, timeout, auto_eject_hosts, servers, ...}
//     -> "pools": {P: {"servers": ["host:port", ...], "server_timeout": timeout,
//                      "eject_down_servers": auto_eject_hosts}}
//     -> "routes": [{"aliases": ["/P/twemproxy/"],
//                    "route": {"type": "PoolRoute", "pool": P,
//                              "hash": {"hash_func": "Ketama"|"Modula"|"Random",
//                                       "twemproxy": {"hash", "hash_tag", "weights", "names"}}}}, ...]
// in file order, so the first pool is the default route (keys without a routing prefix), and every pool
// can be reached with the routing prefix /P/twemproxy/. Placement is nutcracker 0.5.0's exactly (see
// routes/hash/twemproxy/). See docs/configuration.md ("twemproxy YAML configs") for each option's mapping.
//
// Contract: called by the config loader (config/config.cpp, parse_config) on the main/control thread, at
// start-up and on reload. Throws ConfigError "<source>:<line>:<column>: <reason>" naming the pool and option
// for bad YAML, an unknown or Redis-only option, or a bad value.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcrelay::config {

// True for a twemproxy YAML config: `source` ends in .yml or .yaml, or the text's first significant line
// (after blank lines and '#' comments) starts like a YAML mapping key ("name:"), not like JSON.
bool is_twemproxy_yaml(std::string_view source, std::string_view text);

struct TwemproxyListen {
  std::string pool;
  std::string address;  // as written: "127.0.0.1:22121", "0.0.0.0:22121", or "/path/sock 0666"
  std::size_t line = 0;
  std::string unix_path;              // "/path/sock 0666" -> "/path/sock"; empty for host:port
  std::optional<unsigned> unix_mode;  // "/path/sock 0666" -> 0666 (chmod after bind); none: the umask's
};

struct TwemproxyTranslation {
  nlohmann::json root;                   // the mcrouter-format document
  std::vector<TwemproxyListen> listens;  // one per pool, in file order
};

TwemproxyTranslation translate_twemproxy_yaml(std::string_view text, const std::string& source);

// The routing prefix that reaches pool `pool` of a twemproxy config: "/<pool>/twemproxy/".
std::string twemproxy_pool_prefix(std::string_view pool);

}  // namespace mcrelay::config
