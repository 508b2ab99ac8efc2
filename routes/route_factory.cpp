#include "routes/route_factory.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/suggest.hpp"
#include "routes/destination_route.hpp"

namespace mcrelay {

void RouteRegistry::add(std::string type, RouteBuilder builder) { builders_[std::move(type)] = std::move(builder); }

void RouteRegistry::add_list(std::string type, ListBuilder builder) {
  list_builders_[std::move(type)] = std::move(builder);
}

const ListBuilder* RouteRegistry::find_list(std::string_view type) const {
  auto it = list_builders_.find(type);
  return it == list_builders_.end() ? nullptr : &it->second;
}

const RouteBuilder* RouteRegistry::find(std::string_view type) const {
  auto it = builders_.find(type);
  return it == builders_.end() ? nullptr : &it->second;
}

std::vector<std::string> RouteRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : builders_) out.push_back(name);
  for (const auto& [name, _] : list_builders_) out.push_back(name);
  return out;
}

const RouteRegistry& RouteRegistry::builtin() {
  static const RouteRegistry registry = [] {
    RouteRegistry r;
    register_builtin_routes(r);
    return r;
  }();
  return registry;
}

namespace {

std::vector<std::string_view> split_bar(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto bar = s.find('|', start);
    parts.push_back(s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return parts;
}

}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  std::vector<std::string_view> views(candidates.begin(), candidates.end());
  return config::closest_match(name, views).value_or(std::string());
}

RouteFactory::RouteFactory(const config::Config& config, DestinationProvider& destinations,
                           const RouteRegistry& registry)
    : config_(config), destinations_(destinations), registry_(registry) {}

void RouteFactory::fail(const std::string& path, std::string_view reason) const {
  throw config::ConfigError(fmt::format("{}: {}: {}", config_.source, path, reason));
}

void RouteFactory::warn(const std::string& path, std::string_view reason) const {
  std::string text = fmt::format("{}: {}: {}", config_.source, path, reason);
  if (std::find(warnings_.begin(), warnings_.end(), text) == warnings_.end()) warnings_.push_back(std::move(text));
}

const nlohmann::json& RouteFactory::require(const nlohmann::json& obj, std::string_view field,
                                            const std::string& path) const {
  auto it = obj.find(field);
  if (it == obj.end()) fail(path, fmt::format("missing required field \"{}\"", field));
  return *it;
}

std::string RouteFactory::get_string(const nlohmann::json& obj, std::string_view field, const std::string& path,
                                     std::string_view fallback) const {
  auto it = obj.find(field);
  if (it == obj.end()) return std::string(fallback);
  if (!it->is_string()) fail(fmt::format("{}.{}", path, field), fmt::format("expected a string, got {}", it->type_name()));
  return it->get<std::string>();
}

std::uint32_t RouteFactory::get_uint(const nlohmann::json& obj, std::string_view field, const std::string& path,
                                     std::uint32_t fallback) const {
  auto it = obj.find(field);
  if (it == obj.end()) return fallback;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
    fail(fmt::format("{}.{}", path, field), fmt::format("expected a non-negative integer, got {}", it->dump()));
  }
  auto v = it->get<std::uint64_t>();
  if (v > 0xffffffffu) fail(fmt::format("{}.{}", path, field), "value out of range");
  return static_cast<std::uint32_t>(v);
}

bool RouteFactory::get_bool(const nlohmann::json& obj, std::string_view field, const std::string& path,
                            bool fallback) const {
  auto it = obj.find(field);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) fail(fmt::format("{}.{}", path, field), fmt::format("expected true or false, got {}", it->dump()));
  return it->get<bool>();
}

const config::PoolConfig& RouteFactory::pool(std::string_view name, const std::string& path) const {
  auto it = config_.pools.find(name);
  if (it == config_.pools.end()) {
    std::vector<std::string> names;
    for (const auto& [n, _] : config_.pools) names.push_back(n);
    std::string hint = closest_name(name, names);
    fail(path, hint.empty() ? fmt::format("unknown pool \"{}\"", name)
                            : fmt::format("unknown pool \"{}\"; did you mean \"{}\"?", name, hint));
  }
  return it->second;
}

const config::PoolConfig& RouteFactory::pool_spec(const nlohmann::json& spec, const std::string& path) const {
  if (spec.is_string()) return pool(spec.get_ref<const std::string&>(), path);
  if (spec.is_object()) {
    auto name = spec.find("name");
    if (name == spec.end() || !name->is_string()) fail(path, "an inline pool needs a string \"name\"");
    return pool(name->get_ref<const std::string&>(), path);
  }
  fail(path, fmt::format("expected the name of a pool or a pool object, got {}", spec.type_name()));
}

bool RouteFactory::is_pool_list(const nlohmann::json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().starts_with("Pool|");
  if (!j.is_object()) return false;
  auto type = j.find("type");
  return type != j.end() && type->is_string() && type->get_ref<const std::string&>() == "Pool";
}

bool RouteFactory::is_list_form(const nlohmann::json& j) const {
  if (is_pool_list(j)) return true;
  if (!j.is_object()) return false;
  auto type = j.find("type");
  return type != j.end() && type->is_string() && registry_.find_list(type->get_ref<const std::string&>()) != nullptr;
}

std::vector<RouteHandlePtr> RouteFactory::pool_destinations(const config::PoolConfig& pool) {
  std::vector<RouteHandlePtr> out;
  SendOptions opts;
  opts.keep_routing_prefix = pool.keep_routing_prefix;
  opts.timeout_ms = pool.server_timeout_ms.value_or(0);
  for (const auto& server : pool.servers) {
    out.push_back(std::make_shared<DestinationRoute>(destinations_.destination(server, pool), opts));
  }
  if (auto fd = pool.raw.find("failure_domains"); fd != pool.raw.end()) {
    const std::string where = pool.json_path + ".failure_domains";
    if (!fd->is_array()) fail(where, "failure_domains is not an array");
    if (fd->size() != pool.servers.size()) {
      fail(where, fmt::format("failure_domains expected to be of the same size as servers, expected {}, got {}",
                              pool.servers.size(), fd->size()));
    }
    for (std::size_t i = 0; i < fd->size(); ++i) {
      const auto& d = (*fd)[i];
      std::uint32_t domain = 0;
      if (d.is_number_integer()) {
        domain = static_cast<std::uint32_t>(d.get<std::int64_t>());
      } else if (d.is_string()) {
        // Only equality matters: names map to numbers (FNV-1a), never to 0 ("no domain").
        domain = 2166136261u;
        for (unsigned char c : d.get_ref<const std::string&>()) domain = (domain ^ c) * 16777619u;
        if (domain == 0) domain = 1;
      }
      if (domain != 0) failure_domains_[pool.servers[i].text] = domain;
    }
  }
  return out;
}

std::vector<RouteHandlePtr> RouteFactory::build_children(const nlohmann::json& j, const std::string& path) {
  if (j.is_string()) {
    auto s = j.get<std::string>();
    if (s.starts_with("Pool|")) return pool_destinations(pool(std::string_view(s).substr(5), path));
    return {build(j, path)};
  }
  if (is_pool_list(j)) return pool_destinations(pool_spec(j, path));
  if (is_list_form(j)) return (*registry_.find_list(j.at("type").get_ref<const std::string&>()))(*this, j, path);
  if (!j.is_array()) fail(path, fmt::format("expected a list of routes or \"Pool|NAME\", got {}", j.type_name()));
  std::vector<RouteHandlePtr> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    if (is_list_form(j[i])) {  // mcrouter merges a pool's destinations (or a ShadowRoute's list) into the list
      for (auto& d : build_children(j[i], at)) out.push_back(std::move(d));
    } else {
      out.push_back(build(j[i], at));
    }
  }
  return out;
}

RouteHandlePtr RouteFactory::build_from_string(std::string_view s, const std::string& path) {
  auto parts = split_bar(s);
  if (parts.size() == 1) {
    // A bare name: a named handle, or a handle type that needs no arguments ("NullRoute").
    if (auto it = named_.find(s); it != named_.end()) return it->second;
    if (auto it = config_.named_handles.find(s); it != config_.named_handles.end()) {
      if (std::find(building_.begin(), building_.end(), s) != building_.end()) {
        fail(path, fmt::format("named handle \"{}\" refers to itself", s));
      }
      building_.emplace_back(s);
      auto handle = build(it->second, config_.named_handle_paths.at(std::string(s)));
      building_.pop_back();
      named_.emplace(std::string(s), handle);
      return handle;
    }
    if (registry_.find(s) != nullptr) return build(nlohmann::json{{"type", s}}, path);
    std::vector<std::string> candidates = registry_.names();
    for (const auto& [n, _] : config_.named_handles) candidates.push_back(n);
    for (const auto& [n, _] : named_) candidates.push_back(n);
    std::string hint = closest_name(s, candidates);
    fail(path, hint.empty() ? fmt::format("unknown route handle or name \"{}\"", s)
                            : fmt::format("unknown route handle or name \"{}\"; did you mean \"{}\"?", s, hint));
  }
  // "Type|arg|...": PoolRoute|A, ErrorRoute|message, <Type>|Pool|A (children from a pool).
  std::string type(parts[0]);
  std::string_view rest = s.substr(parts[0].size() + 1);
  nlohmann::json obj = {{"type", type}};
  if (type == "PoolRoute") {
    obj["pool"] = std::string(rest);
  } else if (type == "Pool") {  // "Pool|A" where one route is expected
    obj["name"] = std::string(rest);
  } else if (type == "ErrorRoute") {
    obj["response"] = std::string(rest);
  } else {
    obj["children"] = std::string(rest);
  }
  return build(obj, path);
}

RouteHandlePtr RouteFactory::try_build(const nlohmann::json& j, const std::string& path, std::string* error) {
  const std::size_t depth = building_.size();
  try {
    return build(j, path);
  } catch (const config::ConfigError& e) {
    building_.resize(depth);  // a named handle that failed half-way is not "being built" any more
    std::string_view what = e.what();
    const std::string prefix = config_.source + ": ";
    if (what.starts_with(prefix)) what.remove_prefix(prefix.size());
    if (error) *error = std::string(what);
    return nullptr;
  }
}

void RouteFactory::build_unreferenced_named_handles() {
  // mcrouter builds every named handle; so do we, so that a broken one that no route uses (yet) is an
  // error at load time rather than a surprise when a later edit starts to use it.
  for (const auto& [name, _] : config_.named_handles) {
    if (!named_.contains(name)) build_from_string(name, config_.named_handle_paths.at(name));
  }
}

RouteHandlePtr RouteFactory::build(const nlohmann::json& j, const std::string& path) {
  if (j.is_string()) return build_from_string(j.get_ref<const std::string&>(), path);
  if (!j.is_object()) fail(path, fmt::format("expected a route (object or string), got {}", j.type_name()));
  auto type_it = j.find("type");
  if (type_it == j.end() || !type_it->is_string()) fail(path, "a route object needs a string \"type\"");
  const auto& type = type_it->get_ref<const std::string&>();
  if (type == "Pool") {  // a pool where one route is expected: fine if it has one server (mcrouter's create())
    auto list = pool_destinations(pool_spec(j, path));
    if (list.size() != 1) {
      fail(path, fmt::format("a Pool is a list of {} routes here, where one route is expected (use it as "
                             "\"children\" or as a PoolRoute's \"pool\")",
                             list.size()));
    }
    return list.front();
  }
  if (const ListBuilder* list_builder = registry_.find_list(type)) {
    auto list = (*list_builder)(*this, j, path);
    if (list.size() != 1) {
      fail(path, fmt::format("a {} is a list of {} routes here, where one route is expected", type, list.size()));
    }
    if (auto name = j.find("name"); name != j.end() && name->is_string()) {
      named_.emplace(name->get<std::string>(), list.front());
    }
    return list.front();
  }
  const RouteBuilder* builder = registry_.find(type);
  if (builder == nullptr) {
    std::string hint = closest_name(type, registry_.names());
    fail(path, hint.empty() ? fmt::format("unknown route handle type \"{}\"", type)
                            : fmt::format("unknown route handle type \"{}\"; did you mean \"{}\"?", type, hint));
  }
  RouteHandlePtr handle = (*builder)(*this, j, path);
  if (auto name = j.find("name"); name != j.end() && name->is_string()) {
    named_.emplace(name->get<std::string>(), handle);
  }
  return handle;
}

}  // namespace mcrelay
