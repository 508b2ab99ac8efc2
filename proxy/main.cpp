// mcrelay's entry point: parse flags, load and validate the config, then run the proxy.
#include <cstdio>
#include <iostream>

#include "config/config_error.hpp"
#include "proxy/loaded_config.hpp"
#include "proxy/options.hpp"
#include "proxy/protocol/request.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/router.hpp"
#include "proxy/util/logging.hpp"

using namespace mcrelay;

namespace {

int route_key(const Options& o, const LoadedConfig& cfg) {
  // Build the trees with named, inert destinations and ask where the request would go.
  class Names final : public DestinationProvider {
   public:
    class Named final : public Destination {
     public:
      explicit Named(std::string n) : n_(std::move(n)) {}
      const std::string& name() const noexcept override { return n_; }
      void send(const RequestPtr&, const SendOptions&, ReplyFn done) override { done(Reply(Result::local_error)); }

     private:
      std::string n_;
    };
    std::shared_ptr<Destination> destination(const config::ServerAddress& s, const config::PoolConfig&) override {
      auto& d = d_[s.text];
      if (!d) d = std::make_shared<Named>(s.text);
      return d;
    }

   private:
    std::map<std::string, std::shared_ptr<Named>> d_;
  } names;
  Router router(cfg.config, names, cfg.route_prefix);
  Request req;
  bool known = false;
  for (int i = 0; i < kOpCount; ++i) {
    if (op_name(Op(i)) == o.route_key[0]) {
      req.op = Op(i);
      known = true;
    }
  }
  if (!known) {
    std::cerr << "mcrelay: unknown operation \"" << o.route_key[0] << "\"\n";
    return 2;
  }
  req.key = o.route_key[1];
  std::vector<std::string> out;
  router.select(req.key, req.prefix_len).collect_destinations(req, out);
  for (const auto& d : out) std::cout << d << "\n";
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
