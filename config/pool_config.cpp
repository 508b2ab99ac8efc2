#include "config/pool_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/suggest.hpp"

namespace mcrelay::config {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::uint32_t parse_timeout(const nlohmann::json& value, const std::string& path, const std::string& source) {
  const bool positive_integer = (value.is_number_unsigned() && value.get<std::uint64_t>() > 0) ||
                                (value.is_number_integer() && value.get<std::int64_t>() > 0);
  if (!positive_integer) {
    throw ConfigError::at_path(source, path,
                               fmt::format("must be a positive integer (milliseconds), got {}", describe_json(value)));
  }
  const auto ms = value.get<std::uint64_t>();
  if (ms > std::numeric_limits<std::uint32_t>::max()) {
    throw ConfigError::at_path(source, path, fmt::format("is too large ({} ms)", ms));
  }
  return static_cast<std::uint32_t>(ms);
}

// "servers": a non-empty list of "host:port" strings.
void parse_servers(PoolConfig& config, const nlohmann::json& value, const std::string& json_path,
                   const std::string& source) {
  auto error = [&](const std::string& path, const std::string& reason) {
    return ConfigError::at_path(source, path, reason);
  };
  const nlohmann::json* servers = &value;
  const std::string servers_path = json_path_key(json_path, "servers");
  if (!servers->is_array()) {
    throw error(servers_path,
                fmt::format("must be a non-empty list of \"host:port\" strings, got {}", describe_json(*servers)));
  }
  if (servers->empty()) throw error(servers_path, "must not be empty (a pool needs at least one server)");
  for (std::size_t i = 0; i < servers->size(); ++i) {
    const auto& server = (*servers)[i];
    const std::string path = json_path_index(servers_path, i);
    if (!server.is_string()) {
      throw error(path, fmt::format("a server must be a \"host:port\" string, got {}", describe_json(server)));
    }
    try {
      config.servers.push_back(parse_server_address(server.get_ref<const std::string&>()));
    } catch (const std::invalid_argument& e) {
      throw error(path, fmt::format("invalid server address {}: {}", describe_json(server), e.what()));
    }
  }
}

constexpr std::array<std::string_view, 5> kDiscoverKeys = {"service", "port", "port_name", "refresh_ms",
                                                            "scale_down_grace"};
constexpr std::uint64_t kMaxScaleDownGrace = 10000;

// An integer (not 1.0, not "1") in [min, max], else nullopt.
std::optional<std::uint64_t> integer_in(const nlohmann::json& value, std::uint64_t min, std::uint64_t max) {
  if (!value.is_number_integer()) return std::nullopt;
  if (!value.is_number_unsigned() && value.get<std::int64_t>() < 0) return std::nullopt;
  const auto v = value.get<std::uint64_t>();
  if (v < min || v > max) return std::nullopt;
  return v;
}

// Why `name` is not a DNS name we can query ("" if it is): dot-separated labels of 1..63 letters, digits,
// '-' or '_', at most 253 characters (the caller removed a trailing dot).
std::string dns_name_problem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) return "is too long for a DNS name (more than 253 characters)";
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return "has an empty label";
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      if (c == ':') return "must be a DNS name without a port (give the port in \"port\")";
      return "must be a DNS name (letters, digits, '-', '_' and dots)";
    }
    if (++label > 63) return "has a label longer than 63 characters";
  }
  if (label == 0) return "has an empty label";
  return "";
}

// "discover": {"service": ..., "port": ..., "port_name": ..., "refresh_ms": ..., "scale_down_grace": ...}.
DiscoverConfig parse_discover(const nlohmann::json& value, const std::string& path, const std::string& source) {
  auto error = [&](const std::string& at, const std::string& reason) {
    return ConfigError::at_path(source, at, reason);
  };
  if (!value.is_object()) {
    throw error(path, fmt::format("must be an object with \"service\" (a headless Service's DNS name), got {}",
                                  describe_json(value)));
  }
  for (const auto& [key, _] : value.items()) {
    if (std::find(kDiscoverKeys.begin(), kDiscoverKeys.end(), key) != kDiscoverKeys.end()) continue;
    const std::string quoted = describe_json(nlohmann::json(key));
    if (auto match = closest_match(key, kDiscoverKeys)) {
      throw error(json_path_key(path, key), fmt::format("unknown key {} (did you mean {}?)", quoted,
                                                        describe_json(nlohmann::json(*match))));
    }
    throw error(json_path_key(path, key),
                fmt::format("unknown key {} (known keys: {})", quoted, fmt::join(kDiscoverKeys, ", ")));
  }

  DiscoverConfig config;
  const auto service = value.find("service");
  if (service == value.end()) {
    throw error(path, "missing \"service\" (the DNS name of a headless Service, e.g. "
                      "\"mycache-memcached.default.svc.cluster.local\")");
  }
  const std::string service_path = json_path_key(path, "service");
  if (!service->is_string()) {
    throw error(service_path, fmt::format("must be a DNS name (a string), got {}", describe_json(*service)));
  }
  std::string name = service->get<std::string>();
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  if (const std::string problem = dns_name_problem(name); !problem.empty()) {
    throw error(service_path, fmt::format("{}, got {}", problem, describe_json(*service)));
  }
  config.service = std::move(name);

  if (const auto it = value.find("port"); it != value.end()) {
    const auto port = integer_in(*it, 1, 65535);
    if (!port) {
      throw error(json_path_key(path, "port"),
                  fmt::format("must be a port number between 1 and 65535, got {}", describe_json(*it)));
    }
    config.port = static_cast<std::uint16_t>(*port);
  }

  if (const auto it = value.find("port_name"); it != value.end()) {
    const std::string at = json_path_key(path, "port_name");
    const bool label = it->is_string() && !it->get_ref<const std::string&>().empty() &&
                       it->get_ref<const std::string&>().find('.') == std::string::npos &&
                       dns_name_problem(it->get_ref<const std::string&>()).empty();
    if (!label) {
      throw error(at, fmt::format("must be the name of a port of the Service (one DNS label, e.g. \"memcache\"), "
                                  "got {}",
                                  describe_json(*it)));
    }
    const std::string& port_name = it->get_ref<const std::string&>();
    if (port_name.front() == '_') {
      throw error(at, fmt::format("give the port's name without the leading '_' (\"{}\" looks up SRV "
                                  "_{}._tcp.<service>), got {}",
                                  port_name.substr(1), port_name.substr(1), describe_json(*it)));
    }
    config.port_name = port_name;
  }

  if (const auto it = value.find("refresh_ms"); it != value.end()) {
    const auto ms = integer_in(*it, kMinDiscoverRefreshMs, std::numeric_limits<std::uint32_t>::max());
    if (!ms) {
      throw error(json_path_key(path, "refresh_ms"),
                  fmt::format("must be an integer of at least {} (milliseconds), got {}", kMinDiscoverRefreshMs,
                              describe_json(*it)));
    }
    config.refresh_ms = static_cast<std::uint32_t>(*ms);
  }

  if (const auto it = value.find("scale_down_grace"); it != value.end()) {
    const auto grace = integer_in(*it, 0, kMaxScaleDownGrace);
    if (!grace) {
      throw error(json_path_key(path, "scale_down_grace"),
                  fmt::format("must be an integer between 0 and {} (refreshes), got {}", kMaxScaleDownGrace,
                              describe_json(*it)));
    }
    config.scale_down_grace = static_cast<unsigned>(*grace);
  }
  return config;
}

}  // namespace

PoolConfig parse_pool_config(const std::string& name, const nlohmann::json& pool, const std::string& json_path,
                             const std::string& source) {
  auto error = [&](const std::string& path, const std::string& reason) {
    return ConfigError::at_path(source, path, reason);
  };
  if (name.empty()) throw error(json_path, "a pool name must not be empty");
  if (!pool.is_object()) {
    throw error(json_path, fmt::format("a pool must be an object with \"servers\" or \"discover\", got {}",
                                       describe_json(pool)));
  }

  PoolConfig config;
  config.name = name;
  config.raw = pool;
  config.json_path = json_path;

  // servers, or discover
  const auto servers = pool.find("servers");
  const auto discover = pool.find("discover");
  if (servers != pool.end() && discover != pool.end()) {
    throw error(json_path, "both \"servers\" and \"discover\" are given; use exactly one");
  }
  if (discover != pool.end()) {
    config.discover = parse_discover(*discover, json_path_key(json_path, "discover"), source);
  } else if (servers == pool.end()) {
    throw error(json_path,
                "missing \"servers\" (a non-empty list of \"host:port\" strings) or \"discover\" (a headless "
                "Service to look up in DNS)");
  } else {
    parse_servers(config, *servers, json_path, source);
  }

  // port_override (mcrouter): every server of the pool on this port, whatever its address says.
  if (const auto it = pool.find("port_override"); it != pool.end()) {
    const auto port = integer_in(*it, 1, 65535);
    if (!port) {
      throw error(json_path_key(json_path, "port_override"),
                  fmt::format("must be a port number between 1 and 65535, got {}", describe_json(*it)));
    }
    for (auto& server : config.servers) {
      if (server.unix_socket) continue;  // a path has no port
      server.port = static_cast<std::uint16_t>(*port);
      server.text = server.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", server.host, server.port)
                                                               : fmt::format("{}:{}", server.host, server.port);
    }
  }

  // weights
  if (const auto weights = pool.find("weights"); weights != pool.end()) {
    const std::string weights_path = json_path_key(json_path, "weights");
    if (!weights->is_array()) {
      throw error(weights_path, fmt::format("must be a list of numbers in [0, 1], got {}", describe_json(*weights)));
    }
    for (std::size_t i = 0; i < weights->size(); ++i) {
      const auto& weight = (*weights)[i];
      const double value = weight.is_number() ? weight.get<double>() : -1.0;
      if (!weight.is_number() || value < 0.0 || value > 1.0) {
        throw error(json_path_index(weights_path, i),
                    fmt::format("a weight must be a number in [0, 1], got {}", describe_json(weight)));
      }
      config.weights.push_back(value);
    }
  }

  // use_ssl (mcrouter): TLS to every server of the pool (not over Unix sockets: mcrouter refuses that too).
  if (const auto it = pool.find("use_ssl"); it != pool.end()) {
    if (!it->is_boolean()) {
      throw error(json_path_key(json_path, "use_ssl"), fmt::format("must be true or false, got {}", describe_json(*it)));
    }
    config.use_ssl = it->get<bool>();
    for (const auto& server : config.servers) {
      if (config.use_ssl && server.unix_socket) {
        throw error(json_path_key(json_path, "use_ssl"),
                    fmt::format("TLS over a Unix socket ({}) is not supported (as in mcrouter)", server.text));
      }
    }
  }

  if (const auto it = pool.find("server_timeout"); it != pool.end()) {
    config.server_timeout_ms = parse_timeout(*it, json_path_key(json_path, "server_timeout"), source);
  }
  if (const auto it = pool.find("connect_timeout"); it != pool.end()) {
    config.connect_timeout_ms = parse_timeout(*it, json_path_key(json_path, "connect_timeout"), source);
  }

  if (const auto it = pool.find("keep_routing_prefix"); it != pool.end()) {
    if (!it->is_boolean()) {
      throw error(json_path_key(json_path, "keep_routing_prefix"),
                  fmt::format("must be true or false, got {}", describe_json(*it)));
    }
    config.keep_routing_prefix = it->get<bool>();
  }

  if (const auto it = pool.find("protocol"); it != pool.end()) {
    if (it->is_string() && lower(it->get<std::string>()) == "caret") {
      throw error(json_path_key(json_path, "protocol"),
                  "the caret protocol (Facebook's Carbon binary protocol for Thrift-based services) is not "
                  "supported: mcrelay talks to memcached servers in the ascii protocol");
    }
    if (!it->is_string() || lower(it->get<std::string>()) != "ascii") {
      throw error(json_path_key(json_path, "protocol"),
                  fmt::format("only the ascii protocol is supported, got {}", describe_json(*it)));
    }
  }

  // security_mech (newer mcrouter's spelling): "plain", or "ssl"/"tls" as use_ssl; the kernel-TLS and
  // TLS-to-plain variants are refused rather than silently connecting otherwise.
  if (const auto it = pool.find("security_mech"); it != pool.end()) {
    const std::string mech = it->is_string() ? lower(it->get<std::string>()) : std::string();
    if (mech == "ssl" || mech == "tls") {
      config.use_ssl = true;
    } else if (mech != "plain") {
      throw error(json_path_key(json_path, "security_mech"),
                  fmt::format("must be \"plain\" or \"ssl\" (TLS), got {}", describe_json(*it)));
    }
    for (const auto& server : config.servers) {
      if (config.use_ssl && server.unix_socket) {
        throw error(json_path_key(json_path, "security_mech"),
                    fmt::format("TLS over a Unix socket ({}) is not supported (as in mcrouter)", server.text));
      }
    }
  }
  return config;
}

namespace {

// A pool object's fields without the ones that only say what it is ("type": "Pool", "name").
nlohmann::json pool_fields(const nlohmann::json& pool) {
  nlohmann::json out = pool;
  out.erase("type");
  out.erase("name");
  return out;
}

void add_inline_pool(const nlohmann::json& pool, const std::string& json_path, const std::string& source,
                     PoolMap& pools) {
  const auto name = pool.find("name");
  if (name == pool.end() || !name->is_string()) {
    throw ConfigError::at_path(source, json_path,
                               "an inline pool needs a string \"name\" (mcrouter: \"Pool should have string "
                               "'name'\")");
  }
  const std::string& pool_name = name->get_ref<const std::string&>();
  if (const auto it = pools.find(pool_name); it != pools.end()) {
    if (pool_fields(it->second.raw) == pool_fields(pool)) return;  // the same pool written twice
    throw ConfigError::at_path(source, json_path,
                               fmt::format("pool \"{}\" is already defined differently at {} (give this one "
                                           "another name)",
                                           pool_name, it->second.json_path));
  }
  pools.emplace(pool_name, parse_pool_config(pool_name, pool, json_path, source));
}

}  // namespace

void collect_inline_pools(const nlohmann::json& j, const std::string& json_path, const std::string& source,
                          PoolMap& pools) {
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) collect_inline_pools(j[i], json_path_index(json_path, i), source, pools);
    return;
  }
  if (!j.is_object()) return;
  if (const auto type = j.find("type"); type != j.end() && type->is_string() && type->get<std::string>() == "Pool") {
    add_inline_pool(j, json_path, source, pools);
    return;
  }
  for (const auto& [key, value] : j.items()) {
    const std::string path = json_path_key(json_path, key);
    if (key == "pool" && value.is_object()) {
      add_inline_pool(value, path, source, pools);
    } else {
      collect_inline_pools(value, path, source, pools);
    }
  }
}

}  // namespace mcrelay::config
