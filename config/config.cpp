#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/relaxed_json.hpp"
#include "config/twemproxy_config.hpp"
#include "config/routing_prefix.hpp"
#include "config/suggest.hpp"

namespace mcrelay::config {

namespace {

constexpr std::array<std::string_view, 6> kTopLevelKeys = {"pools",    "route",          "routes",
                                                           "named_handles", "clusters", "regional_pools"};
constexpr std::array<std::string_view, 2> kRouteEntryKeys = {"aliases", "route"};
// The keys of one cluster of the old top-level "clusters" object (mcrouter's PoolFactory::parseClusters).
constexpr std::array<std::string_view, 1> kClusterKeys = {"pools"};
// Old mcrouter forms that changed where keys go and that mcrelay does not implement: refused rather than
// ignored, since ignoring them would route differently.
constexpr std::array<std::string_view, 2> kRefusedPoolForms = {"migrated_pools", "migrated_regional_pools"};

std::string json_quote(std::string_view s) { return describe_json(nlohmann::json(std::string(s))); }

// "unknown key "x" ignored (known keys: a, b)".
std::string ignored_key_reason(std::string_view what, std::string_view key, std::span<const std::string_view> known) {
  return fmt::format("unknown {} {} ignored (known keys: {})", what, json_quote(key), fmt::join(known, ", "));
}

class Loader {
 public:
  Loader(Config& config, std::string_view default_route_prefix)
      : config_(config), default_route_prefix_(default_route_prefix) {}

  void load() {
    const nlohmann::json& root = config_.root;
    if (!root.is_object()) {
      throw error("", fmt::format("the top level must be a JSON object, got {}", describe_json(root)));
    }
    check_keys(root, "", "top-level key", kTopLevelKeys);
    load_pools();
    load_routes();
    load_named_handles();
    collect_all_inline_pools();
  }

 private:
  ConfigError error(const std::string& path, const std::string& reason) const {
    return ConfigError::at_path(config_.source, path, reason);
  }

  void warn(const std::string& path, const std::string& reason) {
    config_.warnings.push_back(path.empty() ? fmt::format("{}: {}", config_.source, reason)
                                            : fmt::format("{}: {}: {}", config_.source, path, reason));
  }

  // The unknown-key policy (config/suggest.hpp): a misspelt key is an error, any other unknown one a warning.
  void check_keys(const nlohmann::json& obj, const std::string& path, std::string_view what,
                  std::span<const std::string_view> known) {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const std::string key_path = json_path_key(path, key);
      if (auto match = misspelt_key(key, known)) {
        throw error(key_path, fmt::format("unknown {} {} (did you mean {}?)", what, json_quote(key), json_quote(*match)));
      }
      if (std::find(kRefusedPoolForms.begin(), kRefusedPoolForms.end(), key) != kRefusedPoolForms.end()) {
        throw error(key_path, fmt::format("{} (mcrouter's old pool migration) is not supported; use a MigrateRoute",
                                          json_quote(key)));
      }
      warn(key_path, ignored_key_reason(what, key, known));
    }
  }

  // Pools given inline in routes (config/pool_config.hpp) join "pools", so that routes find them by name.
  void collect_all_inline_pools() {
    for (const auto& entry : config_.routes) {
      collect_inline_pools(entry.route, entry.json_path, config_.source, config_.pools);
    }
    for (const auto& [name, handle] : config_.named_handles) {
      collect_inline_pools(handle, config_.named_handle_paths.at(name), config_.source, config_.pools);
    }
  }

  // A pools object as written, and where it is ("pools", "clusters.A.pools").
  struct PoolsObject {
    const nlohmann::json* pools;
    std::string path;
  };

  // Every pools object: "pools", "regional_pools", and the "pools" of each cluster of "clusters".
  std::vector<PoolsObject> pools_objects() {
    std::vector<PoolsObject> out;
    const nlohmann::json& root = config_.root;
    for (const char* key : {"pools", "regional_pools"}) {
      if (const auto it = root.find(key); it != root.end()) out.push_back({&*it, key});
    }
    if (const auto clusters = root.find("clusters"); clusters != root.end()) {
      if (!clusters->is_object()) {
        throw error("clusters", fmt::format("must be an object mapping cluster names to {{\"pools\": {{...}}}}, got {}",
                                            describe_json(*clusters)));
      }
      for (const auto& [name, cluster] : clusters->items()) {
        const std::string path = json_path_key("clusters", name);
        if (!cluster.is_object()) {
          throw error(path, fmt::format("a cluster must be an object with \"pools\", got {}", describe_json(cluster)));
        }
        check_keys(cluster, path, "cluster key", kClusterKeys);
        if (const auto it = cluster.find("pools"); it != cluster.end()) {
          out.push_back({&*it, json_path_key(path, "pools")});
        }
      }
    }
    return out;
  }

  void load_pools() {
    const auto objects = pools_objects();
    std::map<std::string, std::string, std::less<>> seen;  // pool name -> its path
    for (const auto& [pools, pools_path] : objects) {
      if (!pools->is_object()) {
        throw error(pools_path,
                    fmt::format("must be an object mapping pool names to pools, got {}", describe_json(*pools)));
      }
      for (const auto& [name, pool] : pools->items()) {
        const std::string path = json_path_key(pools_path, name);
        const auto [it, inserted] = seen.emplace(name, path);
        if (!inserted) throw error(path, fmt::format("duplicate pool {} (also at {})", json_quote(name), it->second));
        if (pool.is_object() && !pool.contains("servers") && !pool.contains("discover") &&
            pool.contains("server_list_from_pool")) {
          config_.pools.emplace(name, parse_pool_config(name, borrow_servers(pool, path, *pools, objects), path,
                                                        config_.source));
        } else {
          config_.pools.emplace(name, parse_pool_config(name, pool, path, config_.source));
        }
      }
    }
  }

  // mcrouter's "server_list_from_pool": the pool takes the "servers" of the named pool, looked up in its own
  // pools object first (as mcrouter does), then in the other pools objects of this config (mcrouter would ask
  // its config source for a pool file there). Its other options stay its own.
  nlohmann::json borrow_servers(const nlohmann::json& pool, const std::string& path, const nlohmann::json& siblings,
                                const std::vector<PoolsObject>& objects) {
    const std::string from_path = json_path_key(path, "server_list_from_pool");
    const auto& from = pool["server_list_from_pool"];
    if (!from.is_string()) throw error(from_path, fmt::format("must be a pool name, got {}", describe_json(from)));
    const auto& source_name = from.get_ref<const std::string&>();
    const nlohmann::json* source = nullptr;
    if (const auto it = siblings.find(source_name); it != siblings.end()) {
      source = &*it;
    } else {
      for (const auto& object : objects) {
        if (!object.pools->is_object()) continue;
        if (const auto it = object.pools->find(source_name); it != object.pools->end()) {
          source = &*it;
          break;
        }
      }
    }
    if (source == nullptr) throw error(from_path, fmt::format("no pool named {}", json_quote(source_name)));
    const auto servers = source->is_object() ? source->find("servers") : source->end();
    if (!source->is_object() || servers == source->end()) {
      throw error(from_path, fmt::format("pool {} has no \"servers\" list to take (it must list its servers itself)",
                                         json_quote(source_name)));
    }
    nlohmann::json out = pool;
    out["servers"] = *servers;
    return out;
  }

  void load_routes() {
    const auto& root = config_.root;
    const auto route = root.find("route");
    const auto routes = root.find("routes");
    if (route != root.end() && routes != root.end()) {
      throw error("", "both \"route\" and \"routes\" are given; use exactly one");
    }
    if (route == root.end() && routes == root.end()) {
      throw error("", "missing \"route\" (or \"routes\"): the config must say where to send requests");
    }
    if (route != root.end()) {
      try {
        validate_routing_prefix(default_route_prefix_);
      } catch (const std::invalid_argument& e) {
        throw error("route", fmt::format("invalid default routing prefix {} (--route-prefix): {}",
                                         json_quote(default_route_prefix_), e.what()));
      }
      config_.routes.push_back(RouteEntry{{std::string(default_route_prefix_)}, *route, "route"});
      return;
    }
    if (routes->is_array()) {
      if (routes->empty()) throw error("routes", "must not be empty");
      for (std::size_t i = 0; i < routes->size(); ++i) load_route_entry((*routes)[i], json_path_index("routes", i));
    } else if (routes->is_object()) {
      if (routes->empty()) throw error("routes", "must not be empty");
      for (const auto& [prefix, handle] : routes->items()) {
        const std::string path = json_path_key("routes", prefix);
        add_alias(prefix, path);
        config_.routes.push_back(RouteEntry{{prefix}, handle, path});
      }
    } else {
      throw error("routes", fmt::format("must be a list of {{\"aliases\": [...], \"route\": ...}} or an object "
                                        "mapping routing prefixes to routes, got {}",
                                        describe_json(*routes)));
    }
  }

  void load_route_entry(const nlohmann::json& entry, const std::string& path) {
    if (!entry.is_object()) {
      throw error(path, fmt::format("must be an object {{\"aliases\": [...], \"route\": ...}}, got {}",
                                    describe_json(entry)));
    }
    check_keys(entry, path, "key", kRouteEntryKeys);
    const auto aliases = entry.find("aliases");
    if (aliases == entry.end()) throw error(path, "missing \"aliases\" (a list of routing prefixes like \"/a/b/\")");
    const auto handle = entry.find("route");
    if (handle == entry.end()) throw error(path, "missing \"route\"");
    const std::string aliases_path = json_path_key(path, "aliases");
    if (!aliases->is_array() || aliases->empty()) {
      throw error(aliases_path, fmt::format("must be a non-empty list of routing prefixes like \"/a/b/\", got {}",
                                            describe_json(*aliases)));
    }
    RouteEntry route_entry{{}, *handle, json_path_key(path, "route")};
    for (std::size_t i = 0; i < aliases->size(); ++i) {
      const auto& alias = (*aliases)[i];
      const std::string alias_path = json_path_index(aliases_path, i);
      if (!alias.is_string()) {
        throw error(alias_path, fmt::format("a routing prefix must be a string like \"/a/b/\", got {}",
                                            describe_json(alias)));
      }
      add_alias(alias.get_ref<const std::string&>(), alias_path);
      route_entry.aliases.push_back(alias.get<std::string>());
    }
    config_.routes.push_back(std::move(route_entry));
  }

  // Checks the prefix's format and that no other route already claims it.
  void add_alias(const std::string& prefix, const std::string& path) {
    try {
      validate_routing_prefix(prefix);
    } catch (const std::invalid_argument& e) {
      throw error(path, fmt::format("invalid routing prefix {}: {}", json_quote(prefix), e.what()));
    }
    const auto [it, inserted] = alias_paths_.emplace(prefix, path);
    if (!inserted) {
      throw error(path, fmt::format("routing prefix {} is already used at {}", json_quote(prefix), it->second));
    }
  }

  void load_named_handles() {
    const auto handles = config_.root.find("named_handles");
    if (handles == config_.root.end()) return;
    std::map<std::string, std::string, std::less<>> paths;  // name -> where it was defined
    auto add = [&](const std::string& name, const nlohmann::json& handle, const std::string& path) {
      const auto [it, inserted] = paths.emplace(name, path);
      if (!inserted) {
        throw error(path, fmt::format("duplicate handle name {} (also at {})", json_quote(name), it->second));
      }
      config_.named_handles.emplace(name, handle);
      config_.named_handle_paths.emplace(name, path);
    };
    if (handles->is_array()) {
      for (std::size_t i = 0; i < handles->size(); ++i) {
        const auto& handle = (*handles)[i];
        const std::string path = json_path_index("named_handles", i);
        if (!handle.is_object()) {
          throw error(path, fmt::format("a named handle must be an object with a \"name\", got {}",
                                        describe_json(handle)));
        }
        const auto name = handle.find("name");
        if (name == handle.end()) throw error(path, "missing \"name\"");
        if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
          throw error(json_path_key(path, "name"),
                      fmt::format("must be a non-empty string, got {}", describe_json(*name)));
        }
        add(name->get<std::string>(), handle, path);
      }
    } else if (handles->is_object()) {
      for (const auto& [name, handle] : handles->items()) {
        const std::string path = json_path_key("named_handles", name);
        if (name.empty()) throw error(path, "a handle name must not be empty");
        add(name, handle, path);
      }
    } else {
      throw error("named_handles", fmt::format("must be a list of handles with a \"name\" or an object mapping "
                                               "names to handles, got {}",
                                               describe_json(*handles)));
    }
  }

  Config& config_;
  std::string_view default_route_prefix_;
  std::map<std::string, std::string, std::less<>> alias_paths_;  // routing prefix -> where it was given
};

}  // namespace

Config parse_config(std::string_view text, std::string source, std::string_view default_route_prefix,
                    const JsonmOptions& jsonm) {
  Config config;
  config.source = std::move(source);
  config.text = std::string(text);
  if (is_twemproxy_yaml(config.source, text)) {
    auto twemproxy = translate_twemproxy_yaml(text, config.source);  // config/twemproxy_config.hpp
    config.root = std::move(twemproxy.root);
    for (const auto& l : twemproxy.listens) {
      config.pool_listeners.push_back(
          PoolListener{l.pool, l.address, twemproxy_pool_prefix(l.pool), l.unix_path, l.unix_mode});
    }
  } else {
    JsonmOptions options = jsonm;
    if (options.import_dir.empty() && !config.source.starts_with('<')) {
      options.import_dir = std::filesystem::path(config.source).parent_path().string();
    }
    config.root = preprocess_jsonm(parse_relaxed_json(text, config.source), config.source, options);
  }
  Loader(config, default_route_prefix).load();
  return config;
}

Config load_config_file(const std::string& path, std::string_view default_route_prefix, const JsonmOptions& jsonm) {
  const auto cannot_read = [&path](int err) {
    return ConfigError(fmt::format("cannot read {}: {}", path, std::strerror(err)));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw cannot_read(errno);
  std::string text;
  char buffer[65536];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) {
      if (std::ferror(file.get())) throw cannot_read(errno);
      break;
    }
  }
  return parse_config(text, path, default_route_prefix, jsonm);
}

}  // namespace mcrelay::config
