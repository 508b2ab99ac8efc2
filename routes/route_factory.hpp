#pragma once
// RouteFactory: builds a route-handle tree from mcrouter-format JSON, through a registry of builders keyed
// by JSON type name ("PoolRoute", "HashRoute", ...).
//
// Contract: used at config load (main/control thread, to validate) and then once per worker thread (to build
// that worker's tree over its own destinations). Throws config::ConfigError naming the source, the JSON path
// and the reason; nothing here opens a socket: leaves come from a DestinationProvider.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "routes/destination.hpp"
#include "routes/route_handle.hpp"
#include "routes/route_log.hpp"
#include "routes/route_timer.hpp"

namespace mcrelay {

// Supplies the Destination for one server of one pool. Implemented by the worker (real upstream
// connections), by the validator (inert destinations) and by tests (recording fakes). Trees share
// ownership of their destinations, so a destination outlives a config reload while an old tree (or a
// request still in flight in it) uses it.
class DestinationProvider {
 public:
  virtual ~DestinationProvider() = default;
  virtual std::shared_ptr<Destination> destination(const config::ServerAddress& server,
                                                   const config::PoolConfig& pool) = 0;
  // The timer of the thread that will run the tree (routes/route_timer.hpp), or null where nothing is
  // routed (the validator). The worker implements it.
  virtual RouteTimer* timer() noexcept { return nullptr; }
  // Where LoggingRoute writes (routes/route_log.hpp), or null (the validator, tests: nothing is logged).
  virtual RouteLog* route_log() noexcept { return nullptr; }
};

class RouteFactory;
using RouteBuilder = std::function<RouteHandlePtr(RouteFactory&, const nlohmann::json&, const std::string& path)>;
// A handle type that stands for a LIST of routes (mcrouter's ShadowRoute): merged into children lists, and
// accepted where one route is expected only when the list has exactly one.
using ListBuilder =
    std::function<std::vector<RouteHandlePtr>(RouteFactory&, const nlohmann::json&, const std::string& path)>;

// The set of known route-handle types. register_builtin_routes() fills it with every handle mcrelay has.
class RouteRegistry {
 public:
  void add(std::string type, RouteBuilder builder);
  void add_list(std::string type, ListBuilder builder);
  const RouteBuilder* find(std::string_view type) const;
  const ListBuilder* find_list(std::string_view type) const;
  std::vector<std::string> names() const;
  static const RouteRegistry& builtin();

 private:
  std::map<std::string, RouteBuilder, std::less<>> builders_;
  std::map<std::string, ListBuilder, std::less<>> list_builders_;
};

void register_builtin_routes(RouteRegistry& registry);

class RouteFactory {
 public:
  RouteFactory(const config::Config& config, DestinationProvider& destinations,
               const RouteRegistry& registry = RouteRegistry::builtin());

  // A route: an object with "type", a "Type|arg|..." shorthand string, or the name of a named handle.
  RouteHandlePtr build(const nlohmann::json& j, const std::string& path);

  // build(), except that a ConfigError is caught: nullptr, with `*error` set to its reason (the message
  // without the "<source>: " prefix). For the parts of a config mcrouter drops when they are broken
  // (a shadow whose target cannot be built).
  RouteHandlePtr try_build(const nlohmann::json& j, const std::string& path, std::string* error);

  // Builds the top-level named handles that no route referenced, so that their errors are reported too.
  void build_unreferenced_named_handles();

  // A children list: an array of routes, or the string "Pool|NAME" (one DestinationRoute per server).
  std::vector<RouteHandlePtr> build_children(const nlohmann::json& j, const std::string& path);

  // One DestinationRoute per server of the pool, in config order.
  std::vector<RouteHandlePtr> pool_destinations(const config::PoolConfig& pool);

  const config::PoolConfig& pool(std::string_view name, const std::string& path) const;
  // A pool as a route option gives it: a pool name, or an inline pool object {"name": ..., "servers": ...}
  // (collected into config().pools by the loader, config/pool_config.hpp).
  const config::PoolConfig& pool_spec(const nlohmann::json& spec, const std::string& path) const;
  // True for the JSON forms that stand for a pool's list of destinations: "Pool|NAME" and
  // {"type": "Pool", ...} (mcrouter's RouteHandleFactory::createList).
  static bool is_pool_list(const nlohmann::json& j);
  // is_pool_list, or an object whose type has a ListBuilder (ShadowRoute).
  bool is_list_form(const nlohmann::json& j) const;
  const config::Config& config() const noexcept { return config_; }
  RouteTimer* timer() const noexcept { return destinations_.timer(); }
  RouteLog* route_log() const noexcept { return destinations_.route_log(); }

  // Throws ConfigError("<source>: <path>: <reason>").
  [[noreturn]] void fail(const std::string& path, std::string_view reason) const;
  // Records a warning "<source>: <path>: <reason>" (something mcrouter ignores, e.g. an unknown key): the
  // config still loads. Each distinct warning is kept once, in the order first seen; the caller that builds
  // the tree to validate the config (proxy/loaded_config.cpp) logs them.
  void warn(const std::string& path, std::string_view reason) const;
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  // mcrouter's pool "failure_domains" (one per server: an integer, or a string standing for one; 0 or
  // another type: none), by destination name ("host:port" as the pool lists it), for the pools whose
  // destinations were built so far. Read by DeterministicOrderPolicy's enable_failure_domains.
  using FailureDomains = std::map<std::string, std::uint32_t, std::less<>>;
  const FailureDomains& failure_domains() const noexcept { return failure_domains_; }

  // Typed field access with errors that name the path.
  const nlohmann::json& require(const nlohmann::json& obj, std::string_view field, const std::string& path) const;
  std::string get_string(const nlohmann::json& obj, std::string_view field, const std::string& path,
                         std::string_view fallback = {}) const;
  std::uint32_t get_uint(const nlohmann::json& obj, std::string_view field, const std::string& path,
                         std::uint32_t fallback) const;
  bool get_bool(const nlohmann::json& obj, std::string_view field, const std::string& path, bool fallback) const;

 private:
  RouteHandlePtr build_from_string(std::string_view s, const std::string& path);

  const config::Config& config_;
  DestinationProvider& destinations_;
  const RouteRegistry& registry_;
  std::map<std::string, RouteHandlePtr, std::less<>> named_;  // built named handles
  std::vector<std::string> building_;                          // named handles being built (cycle check)
  mutable std::vector<std::string> warnings_;                  // see warn()
  FailureDomains failure_domains_;
};

// "did you mean" helper: the closest candidate within edit distance 2, or empty.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace mcrelay
