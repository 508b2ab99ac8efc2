#pragma once
// expand_discovered_pools: turns a config whose pools may be given as {"discover": ...} into one the
// normal route building accepts, by filling each discovered pool's `servers` with its current members.
//
// Contract: pure functions, called on the control thread at start-up, on reload, and whenever
// ServiceDiscovery (proxy/discovery.hpp) reports a changed member list; the usual sequence is
//   auto members = discovery.resolve_pools(config, &errors);     // start-up / reload (blocking DNS)
//   config::Config expanded = expand_discovered_pools(config, members, &errors);  // then build routes
//   discovery.watch(config, members);
// and on on_change (posted to the control thread): expand_discovered_pools(config, discovery.members()),
// rebuild the routes and publish them as for a reload. The result keeps `discover` set on the expanded pools
// (so expanding an expanded config again just replaces their servers); text, root and md5-relevant fields
// are copied unchanged. Throws ConfigError("<source>: pools.A.discover: no members found for <service>
// yet") for a discovered pool without members (with "(<error>)" appended when `errors` has one for it).
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mcrelay {

// The discovered pools of `config`: pool name -> its "discover" settings.
std::map<std::string, config::DiscoverConfig> discovered_pools(const config::Config& config);

// A copy of `in` in which every discovered pool's `servers` is members.at(pool name).
config::Config expand_discovered_pools(const config::Config& in,
                                       const std::map<std::string, std::vector<config::ServerAddress>>& members,
                                       const std::map<std::string, std::string>* errors = nullptr);

}  // namespace mcrelay
