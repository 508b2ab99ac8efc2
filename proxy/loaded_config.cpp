#include "proxy/loaded_config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "routes/hash/md5.hpp"
#include "proxy/discovery_config.hpp"
#include "routes/named_destination.hpp"
#include "routes/root_route.hpp"
#include "util/logging.hpp"

namespace mcrelay {
std::string default_config_json() {
  return R"({"pools": {"default": {"servers": ["127.0.0.1:11211"]}}, "route": "PoolRoute|default"})";
}

std::string read_config_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw config::ConfigError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

// Fills the discovered pools of `loaded->source_config` from `members` (a placeholder where there are
// none yet) into `loaded->config`, then builds every tree once with inert destinations: any route error
// surfaces here, before a worker sees it.
void expand_and_check(LoadedConfig& loaded, const PoolMembers& members) {
  loaded.pending_pools.clear();
  auto discovered = discovered_pools(loaded.source_config);
  if (discovered.empty()) {
    loaded.config = loaded.source_config;
  } else {
    PoolMembers full = members;
    for (const auto& [pool, d] : discovered) {
      auto& m = full[pool];
      if (m.empty()) {
        loaded.pending_pools[pool] = d.service;
        m.push_back(config::ServerAddress{fmt::format("discovery-pending.invalid:{}", d.port),
                                          "discovery-pending.invalid", d.port});
      }
    }
    loaded.config = expand_discovered_pools(loaded.source_config, full);
  }
  NamedDestinationProvider inert("validation only");  // no sockets: the trees are only built
  RootRoute check(loaded.config, inert, loaded.route_prefix);
  loaded.warnings = loaded.config.warnings;
  loaded.warnings.insert(loaded.warnings.end(), check.warnings().begin(), check.warnings().end());
}

}  // namespace

std::shared_ptr<LoadedConfig> load_config_text(const std::string& text, const std::string& source,
                                                     const std::string& route_prefix, const PoolMembers& members,
                                                     const std::map<std::string, std::string>& config_params) {
  auto loaded = std::make_shared<LoadedConfig>();
  config::JsonmOptions jsonm;
  jsonm.params = config_params;
  loaded->source_config = config::parse_config(text, source, route_prefix, jsonm);
  loaded->config_params = config_params;
  loaded->md5 = md5_hex(loaded->source_config.text);
  loaded->loaded_at = std::chrono::system_clock::now();
  loaded->route_prefix = route_prefix;
  expand_and_check(*loaded, members);
  for (const auto& w : loaded->warnings) log::warn("config: {}", w);
  return loaded;
}

std::shared_ptr<LoadedConfig> with_members(const LoadedConfig& base, const PoolMembers& members) {
  auto next = std::make_shared<LoadedConfig>();
  next->source_config = base.source_config;
  next->md5 = base.md5;
  next->loaded_at = base.loaded_at;
  next->route_prefix = base.route_prefix;
  next->config_params = base.config_params;
  next->file = base.file;
  next->generation = base.generation + 1;
  expand_and_check(*next, members);
  return next;
}

std::shared_ptr<const LoadedConfig> load_config(const std::string& spec, const std::string& route_prefix,
                                                const std::map<std::string, std::string>& config_params) {
  if (spec.starts_with("file:")) {
    std::string path = spec.substr(5);
    auto loaded = load_config_text(read_config_file(path), path, route_prefix, {}, config_params);
    loaded->file = path;
    return loaded;
  }
  if (spec.empty()) return load_config_text(default_config_json(), "<default>", route_prefix, {}, config_params);
  return load_config_text(spec, "<command line>", route_prefix, {}, config_params);
}

}  // namespace mcrelay
