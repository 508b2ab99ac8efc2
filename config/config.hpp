#pragma once
// Config: a loaded, validated mcrouter-format config file (the top level and the pools), and its loader.
//
// Contract: load_config_file / parse_config are called on the main/control thread at start-up and on
// reload; they throw ConfigError (config/config_error.hpp) naming the source, the position or JSON path,
// and the reason. A returned Config is fully validated at the top level and in its pools; route handles
// are NOT built or checked here: RouteFactory (routes/route_factory) consumes `routes[i].route` and
// `named_handles` and reports its own errors under `routes[i].json_path`. Once returned, a Config is
// immutable and may be shared read-only with any thread.
//
// Accepted input: mcrouter's JSON with comments and trailing commas (config/relaxed_json.hpp) and JSONM macros
// (config/jsonm.hpp), expanded before anything else looks at the document; after expansion the top level is
// {"pools": {...}, "route": ... | "routes": ..., "named_handles": ...} with exactly one of route/routes.
// Older mcrouter forms are read too: "clusters": {"<cluster>": {"pools": {...}}} (each cluster's pools join
// "pools"; a pool name must be unique across all of them), "regional_pools" (more pools), and a pool given as
// {"server_list_from_pool": "<other pool>"} (it takes that pool's "servers", its own other options).
//
// Unknown keys (top level, route entries, cluster objects) follow mcrouter, which ignores them, except for
// likely typos (config/suggest.hpp misspelt_key): a typo is an error ("did you mean ...?"); any other unknown
// key is ignored and named in `warnings`, which the caller logs once per load.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"
#include "config/jsonm.hpp"
#include "config/pool_config.hpp"
#include "config/server_address.hpp"

namespace mcrelay::config {

inline constexpr std::string_view kDefaultRoutePrefix = "/././";

struct RouteEntry {
  std::vector<std::string> aliases;  // routing prefixes, each "/x/y/"; non-empty
  nlohmann::json route;              // the route handle as written (string or object)
  std::string json_path;             // where `route` is: "route", "routes[0].route", "routes./a/b/"
};

// PoolConfig (one entry of "pools") is defined in config/pool_config.hpp.

// A listening address that serves one route (twemproxy configs: each pool on its own `listen` address).
struct PoolListener {
  std::string pool;          // the pool it serves, for logs
  std::string address;       // as written: "127.0.0.1:22121" or "/path/sock 0666"
  std::string route_prefix;  // the routing prefix whose route is the default route on this address
  std::string unix_path;              // non-empty: a Unix socket listener at this path ("/path/sock 0666")
  std::optional<unsigned> unix_mode;  // its file mode (chmod after bind), when the config gives one
};

struct Config {
  std::string source;  // file path, or "<command line>" for inline JSON
  std::string text;    // the raw text loaded (its md5 is reported as config_md5_digest)
  std::map<std::string, PoolConfig, std::less<>> pools;
  std::vector<RouteEntry> routes;  // one entry per route; `route` becomes one entry with {default prefix}
  // From top-level "named_handles": a list of handle objects with "name", or an object name -> handle.
  std::map<std::string, nlohmann::json, std::less<>> named_handles;
  std::map<std::string, std::string, std::less<>> named_handle_paths;  // name -> its JSON path, for errors
  nlohmann::json root;  // the whole document after JSONM expansion (what was validated and built)

  // The expanded config, as mcrouter's __mcrouter__.preprocessed_config shows it.
  const nlohmann::json& preprocessed() const noexcept { return root; }
  std::vector<PoolListener> pool_listeners;  // twemproxy YAML only: bound once, at start-up
  // Things mcrouter ignores and mcrelay ignores too, one line each ("<source>: <path>: <reason>"): logged
  // as warnings when the config is loaded. Route handles add theirs through RouteFactory::warn.
  std::vector<std::string> warnings;
};

// Parses, expands (JSONM) and validates `text`; `source` names it in error messages. `jsonm` carries the
// --config-params values; when its import_dir is empty, relative @import paths resolve against the directory
// of `source` if it names a file (a source starting with '<', like "<command line>", means the current one).
Config parse_config(std::string_view text, std::string source,
                    std::string_view default_route_prefix = kDefaultRoutePrefix, const JsonmOptions& jsonm = {});

// Reads `path` (errors: "cannot read <path>: <strerror>") and parses it with source = path.
Config load_config_file(const std::string& path, std::string_view default_route_prefix = kDefaultRoutePrefix,
                        const JsonmOptions& jsonm = {});

}  // namespace mcrelay::config
