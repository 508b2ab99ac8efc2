#pragma once
// LoadedConfig: a parsed and validated config; immutable once made, shared by every worker
// (std::shared_ptr<const LoadedConfig>). Server names are resolved later, by each upstream connection.
//
// Contract: load_config() runs on the main/control thread and
// throws config::ConfigError with an operator-facing message. Workers only read the result.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "config/config.hpp"
#include "config/server_address.hpp"
#include "proxy/options.hpp"

namespace mcrelay {

struct LoadedConfig {
  config::Config config;         // what the workers build: discovered pools filled with their members
  config::Config source_config;  // as written (discovered pools without servers)
  // Discovered pools that had no members yet when this was built: a placeholder server stands in (it
  // fails every request fast) and the proxy reports not ready until members appear.
  std::map<std::string, std::string> pending_pools;  // pool -> service
  std::string md5;
  std::chrono::system_clock::time_point loaded_at;
  std::string route_prefix;
  std::map<std::string, std::string> config_params;  // --config-params: JSONM variables, kept for reloads
  std::string file;           // the watched file, for "file:" specs
  std::uint64_t generation = 1;  // 1 for the config loaded at start, +1 for every successful reload
  // What the loader and the route factory ignored (unknown keys, broken shadows...), as mcrouter ignores
  // them: logged as warnings by load_config_text, once per load.
  std::vector<std::string> warnings;
};

// The JSON used when mcrelay is started without any config.
std::string default_config_json();

// Parses `spec` ("file:PATH" or inline JSON; empty: the default config) and validates every route tree.
std::shared_ptr<const LoadedConfig> load_config(const std::string& spec, const std::string& route_prefix,
                                                const std::map<std::string, std::string>& config_params = {});

// The same for config text already read (reloads read the file first to compare digests).
using PoolMembers = std::map<std::string, std::vector<config::ServerAddress>>;

std::shared_ptr<LoadedConfig> load_config_text(const std::string& text, const std::string& source,
                                                     const std::string& route_prefix, const PoolMembers& members = {},
                                               const std::map<std::string, std::string>& config_params = {});

// The same config with new members for its discovered pools (text, md5 and source unchanged).
std::shared_ptr<LoadedConfig> with_members(const LoadedConfig& base, const PoolMembers& members);

// Reads a "file:PATH" spec's file; throws config::ConfigError when it cannot.
std::string read_config_file(const std::string& path);

}  // namespace mcrelay
