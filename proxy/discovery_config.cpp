#include "proxy/discovery_config.hpp"

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/json_path.hpp"

namespace mcrelay {

std::map<std::string, config::DiscoverConfig> discovered_pools(const config::Config& config) {
  std::map<std::string, config::DiscoverConfig> out;
  for (const auto& [name, pool] : config.pools) {
    if (pool.discover) out.emplace(name, *pool.discover);
  }
  return out;
}

config::Config expand_discovered_pools(const config::Config& in,
                                       const std::map<std::string, std::vector<config::ServerAddress>>& members,
                                       const std::map<std::string, std::string>* errors) {
  config::Config out = in;
  for (auto& [name, pool] : out.pools) {
    if (!pool.discover) continue;
    const auto found = members.find(name);
    if (found == members.end() || found->second.empty()) {
      std::string reason = fmt::format("no members found for {} yet", pool.discover->service);
      if (errors) {
        if (const auto e = errors->find(name); e != errors->end() && !e->second.empty()) {
          reason += fmt::format(" ({})", e->second);
        }
      }
      throw config::ConfigError::at_path(in.source, config::json_path_key(pool.json_path, "discover"), reason);
    }
    pool.servers = found->second;
  }
  return out;
}

}  // namespace mcrelay
