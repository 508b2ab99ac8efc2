#include "config/pool_config.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/json_describe.hpp"
#include "config/json_path.hpp"

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

}  // namespace

PoolConfig parse_pool_config(const std::string& name, const nlohmann::json& pool, const std::string& json_path,
                             const std::string& source) {
  auto error = [&](const std::string& path, const std::string& reason) {
    return ConfigError::at_path(source, path, reason);
  };
  if (name.empty()) throw error(json_path, "a pool name must not be empty");
  if (!pool.is_object()) {
    throw error(json_path, fmt::format("a pool must be an object with \"servers\", got {}", describe_json(pool)));
  }

  PoolConfig config;
  config.name = name;
  config.raw = pool;
  config.json_path = json_path;

  // servers
  const auto servers = pool.find("servers");
  if (servers == pool.end()) {
    throw error(json_path, "missing \"servers\" (a non-empty list of \"host:port\" strings)");
  }
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
    if (!it->is_string() || lower(it->get<std::string>()) != "ascii") {
      throw error(json_path_key(json_path, "protocol"),
                  fmt::format("only the ascii protocol is supported, got {}", describe_json(*it)));
    }
  }

  // mcrouter's TLS options: refuse rather than silently connect in plain text.
  if (const auto it = pool.find("use_ssl"); it != pool.end() && !(it->is_boolean() && !it->get<bool>())) {
    throw error(json_path_key(json_path, "use_ssl"),
                fmt::format("TLS to servers is not supported, got {}", describe_json(*it)));
  }
  if (const auto it = pool.find("security_mech"); it != pool.end() &&
                                                  !(it->is_string() && lower(it->get<std::string>()) == "plain")) {
    throw error(json_path_key(json_path, "security_mech"),
                fmt::format("only plain (unencrypted) connections are supported, got {}", describe_json(*it)));
  }
  return config;
}

}  // namespace mcrelay::config
