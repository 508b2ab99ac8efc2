// mcrelay's entry point: parse flags (mcrouter's, see proxy/option_table.cpp), set up the process (log
// file, limits, pid file), load and validate the config, then run the proxy.
//
// Exit status, as mcrouter's: 0 stopped cleanly; 1 cannot listen; 2 bad command line, or a config that does
// not load at start-up (a transient failure for mcrouter: fixing the config and restarting helps); 3
// --validate-config found the config invalid.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "config/config_error.hpp"
#include "proxy/daemon.hpp"
#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "protocol/request.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/route_lookup.hpp"
#include "util/logging.hpp"

using namespace mcrelay;

namespace {

constexpr int kExitBadCommandLine = 2;
constexpr int kExitTransient = 2;       // mcrouter's kExitStatusTransientError
constexpr int kExitUnrecoverable = 3;   // mcrouter's kExitStatusUnrecoverableError

int route_key(const Options& o, const LoadedConfig& cfg) {
  auto op = parse_op_name(o.route_key[0]);
  if (!op) {
    std::cerr << "mcrelay: unknown operation \"" << o.route_key[0] << "\"\n";
    return kExitBadCommandLine;
  }
  for (const auto& d : route_destinations(cfg, *op, o.route_key[1])) std::cout << d << "\n";
  return 0;
}

// mcrouter's own words for a config that does not load, so that alerts and runbooks written for mcrouter's
// log still match; mcrelay's detail (file, line, JSON path, suggestion) follows in the caller's line.
std::string mcrouter_words(const config::ConfigError& e, const std::string& spec) {
  std::string what = e.what();
  if (what.starts_with("cannot read ")) {
    return fmt::format("Can not read config from {}", spec.starts_with("file:") ? spec.substr(5) : spec);
  }
  const std::string marker = "unknown route handle type \"";
  if (auto at = what.find(marker); at != std::string::npos) {
    auto start = at + marker.size();
    auto end = what.find('"', start);
    return fmt::format("Failed to reconfigure: Unknown RouteHandle: {}", what.substr(start, end - start));
  }
  return "Failed to reconfigure";
}

void log_start_up_notes(const Options& o) {
  for (const auto& note : o.notes) log::warn("{}", note);
  if (!o.no_effect_options.empty()) {
    std::string names;
    for (const auto& n : o.no_effect_options) names += (names.empty() ? "" : ", ") + n;
    log::warn("options accepted but without effect here: {}", names);
  }
  if (!o.config_params.empty()) {
    std::string names;
    for (const auto& [k, v] : o.config_params) names += (names.empty() ? "" : ", ") + k;
    log::notice("--config-params: {} parameter{} for the config's macros ({})",
                o.config_params.size(), o.config_params.size() == 1 ? "" : "s", names);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ParsedOptions parsed = parse_options(args);
  if (!parsed.error.empty()) {
    std::cerr << "mcrelay: " << parsed.error << "\n";
    return kExitBadCommandLine;
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
    return kExitBadCommandLine;
  }
  log::set_level(level);
  log::set_json(o.log_format == "json");
  if (!o.log_path.empty()) {
    // As mcrouter: a log file that cannot be opened is reported, and logging stays on stderr.
    if (auto err = log::open_file(o.log_path); !err.empty()) {
      log::error("Couldn't open log file {} for writing: {}", o.log_path, err);
    } else {
      log::info("logging to {}", o.log_path);
    }
  }
  if (o.connection_limit > 0) {
    std::string warning;
    if (auto err = raise_fd_limit(o.connection_limit, warning); !err.empty()) log::warn("-n: {}", err);
    if (!warning.empty()) log::warn("{}", warning);
  }
  log_start_up_notes(o);

  std::shared_ptr<const LoadedConfig> cfg;
  try {
    cfg = load_config(o.config, o.route_prefix, o.config_params);
  } catch (const config::ConfigError& e) {
    log::error("{}: {}", mcrouter_words(e, o.config), e.what());
    if (o.validate_config) {
      std::cout << "invalid config: " << e.what() << "\n";
      return kExitUnrecoverable;
    }
    return kExitTransient;
  }
  if (o.validate_config) {
    std::cout << "config OK: " << cfg->config.source << " (" << cfg->config.pools.size() << " pools, "
              << cfg->config.routes.size() << " routes, md5 " << cfg->md5 << ")\n";
    return 0;
  }
  if (!o.route_key.empty()) return route_key(o, *cfg);
  if (o.validate_config_run) log::info("--validate-config=run: config {} is valid; serving", cfg->config.source);
  if (o.config.empty()) {
    log::info("no --config given: serving in front of 127.0.0.1:11211 (config: {})", default_config_json());
  }
  if (o.background) {
    if (auto err = daemonize(); !err.empty()) {
      log::error("{}", err);
      return kExitTransient;
    }
  }
  if (!o.pid_file.empty()) {
    if (auto err = write_pid_file(o.pid_file); !err.empty()) {
      log::error("{}", err);
      return kExitTransient;
    }
  }
  try {
    ProxyServer server(o, cfg);
    return server.run();
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return 1;
  }
}
