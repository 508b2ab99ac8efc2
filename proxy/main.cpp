// mcrelay's entry point: parse flags, load and validate the config, then run the proxy.
#include <cstdio>
#include <iostream>

#include "config/config_error.hpp"
#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/protocol/request.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/route_lookup.hpp"
#include "proxy/util/logging.hpp"

using namespace mcrelay;

namespace {

int route_key(const Options& o, const LoadedConfig& cfg) {
  auto op = parse_op_name(o.route_key[0]);
  if (!op) {
    std::cerr << "mcrelay: unknown operation \"" << o.route_key[0] << "\"\n";
    return 2;
  }
  for (const auto& d : route_destinations(cfg, *op, o.route_key[1])) std::cout << d << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ParsedOptions parsed = parse_options(args);
  if (!parsed.error.empty()) {
    std::cerr << "mcrelay: " << parsed.error << "\n";
    return 2;
  }
  Options& o = parsed.options;
  if (o.show_help) {
    std::cout << usage_text();
    return 0;
  }
  if (o.show_version) {
    std::cout << "mcrelay " MCRELAY_VERSION "\n";
    return 0;
  }
  log::Level level;
  if (!log::parse_level(o.log_level, level)) {
    std::cerr << "mcrelay: invalid --log-level \"" << o.log_level << "\" (debug, info, warn, error)\n";
    return 2;
  }
  log::set_level(level);
  log::set_json(o.log_format == "json");

  std::shared_ptr<const LoadedConfig> cfg;
  try {
    cfg = load_config(o.config, o.route_prefix);
  } catch (const config::ConfigError& e) {
    if (o.validate_config) {
      std::cout << "invalid config: " << e.what() << "\n";
      return 1;
    }
    log::error("config error: {}", e.what());
    return 1;
  }
  if (o.validate_config) {
    std::cout << "config OK: " << cfg->config.source << " (" << cfg->config.pools.size() << " pools, "
              << cfg->config.routes.size() << " routes, md5 " << cfg->md5 << ")\n";
    return 0;
  }
  if (!o.route_key.empty()) return route_key(o, *cfg);
  if (o.config.empty()) {
    log::info("no --config given: serving in front of 127.0.0.1:11211 (config: {})", default_config_json());
  }
  try {
    ProxyServer server(o, cfg);
    return server.run();
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return 1;
  }
}
