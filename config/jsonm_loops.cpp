// JSONM's object-only built-ins: transform, process, foreach and define, which expand parts of the call
// object repeatedly in a scope extended with loop variables; and macroDef/constDef, left as they are outside
// "macros" (they are definitions, not values).
#include <string>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/jsonm_engine.hpp"

namespace mcrelay::config::jsonm {

namespace {

json take(json& call, const char* field, const std::string& path) {
  auto it = call.find(field);
  if (it == call.end()) fail(path, fmt::format("missing \"{}\"", field));
  return std::move(*it);
}

// A loop variable's name: call[field] (a string, not expanded) or `fallback`.
std::string var_name(const json& call, const char* field, const char* fallback, const std::string& path) {
  auto it = call.find(field);
  if (it == call.end()) return fallback;
  if (!it->is_string()) fail(json_path_key(path, field), fmt::format("must be a string, got {}", describe_json(*it)));
  return it->get<std::string>();
}

const json* find(const json& call, const char* field) {
  auto it = call.find(field);
  return it == call.end() ? nullptr : &*it;
}

json expand_dictionary(Engine& e, json& call, const char* field, const Scope& scope, const std::string& path) {
  json d = e.expand(take(call, field, path), scope, json_path_key(path, field));
  if (!d.is_object() && !d.is_array()) {
    fail(path, fmt::format("{} must be a list or an object, got {}", field, describe_json(d)));
  }
  return d;
}

json noop(Engine&, json& call, const Scope&, const std::string&) { return std::move(call); }

json transform(Engine& e, json& call, const Scope& scope, const std::string& path) {
  json dictionary = expand_dictionary(e, call, "dictionary", scope, path);
  if (dictionary.empty()) return dictionary;
  const std::string item_name = var_name(call, "itemName", "item", path);
  const std::string key_name = var_name(call, "keyName", "key", path);
  const json* item_transform = find(call, "itemTransform");
  Scope loop(&scope);
  if (dictionary.is_array()) {
    if (item_transform == nullptr) fail(path, "missing \"itemTransform\" (required for a list)");
    for (std::size_t i = 0; i < dictionary.size(); ++i) {
      loop.set(key_name, i);
      loop.set(item_name, std::move(dictionary[i]));
      dictionary[i] = e.expand(*item_transform, loop, json_path_index(path, i));
    }
    return dictionary;
  }
  const json* key_transform = find(call, "keyTransform");
  json out = json::object();
  for (auto& [key, value] : dictionary.items()) {
    const std::string item_path = json_path_key(path, key);
    loop.set(key_name, key);
    json& item = loop.set(item_name, std::move(value));
    json new_key = key_transform != nullptr ? e.expand(*key_transform, loop, item_path) : json(key);
    if (!new_key.is_string() && !new_key.is_array()) {
      fail(item_path, fmt::format("keyTransform gave {}, expected a string or a list of strings", kind(new_key)));
    }
    if (new_key.is_array() && new_key.empty()) continue;
    json new_item = item_transform != nullptr ? e.expand(*item_transform, loop, item_path) : std::move(item);
    if (new_key.is_string()) {
      out[new_key.get<std::string>()] = std::move(new_item);
      continue;
    }
    for (const json& k : new_key) {
      if (!k.is_string()) fail(item_path, fmt::format("keyTransform gave a list with {}, expected strings", kind(k)));
      e.charge_copy(new_item, item_path);
      out[k.get<std::string>()] = new_item;
    }
  }
  return out;
}

json process(Engine& e, json& call, const Scope& scope, const std::string& path) {
  json dictionary = expand_dictionary(e, call, "dictionary", scope, path);
  json value = e.expand(take(call, "initialValue", path), scope, json_path_key(path, "initialValue"));
  const json* transform = find(call, "transform");
  if (transform == nullptr) fail(path, "missing \"transform\"");
  const std::string item_name = var_name(call, "itemName", "item", path);
  const std::string key_name = var_name(call, "keyName", "key", path);
  const std::string value_name = var_name(call, "valueName", "value", path);
  Scope loop(&scope);
  auto step = [&](json key, json item) {
    loop.set(key_name, std::move(key));
    loop.set(item_name, std::move(item));
    loop.set(value_name, std::move(value));
    value = e.expand(*transform, loop, path);
  };
  if (dictionary.is_array()) {
    for (std::size_t i = 0; i < dictionary.size(); ++i) step(i, std::move(dictionary[i]));
  } else {
    for (auto& [key, item] : dictionary.items()) step(key, std::move(item));
  }
  return value;
}

json foreach(Engine& e, json& call, const Scope& scope, const std::string& path) {
  json from = expand_dictionary(e, call, "from", scope, path);
  const std::string item_name = var_name(call, "item", "item", path);
  const std::string key_name = var_name(call, "key", "key", path);
  std::size_t top = from.size();
  if (auto it = call.find("top"); it != call.end()) {
    const json t = e.expand(std::move(*it), scope, json_path_key(path, "top"));
    const auto n = as_int(t);
    if (!n || *n < 0) fail(json_path_key(path, "top"), fmt::format("must be a non-negative integer, got {}", describe_json(t)));
    top = static_cast<std::size_t>(*n);
  }
  const json* use = find(call, "use");
  const json* where = find(call, "where");
  Scope loop(&scope);
  json result;  // null until the first match

  auto visit = [&](json key, json item, const std::string& item_path) {
    loop.set(key_name, key);
    json& item_ref = loop.set(item_name, std::move(item));
    if (where != nullptr) {
      const json w = e.expand(*where, loop, item_path);
      if (!w.is_boolean()) fail(item_path, fmt::format("\"where\" gave {}, expected true or false", describe_json(w)));
      if (!w.get<bool>()) return;
    }
    --top;
    if (use == nullptr) {
      if (from.is_array()) {
        if (result.is_null()) result = json::array();
        result.push_back(std::move(item_ref));
      } else {
        if (result.is_null()) result = json::object();
        result[key.get<std::string>()] = std::move(item_ref);
      }
      return;
    }
    json used = e.expand(*use, loop, item_path);
    if (result.is_null()) {
      if (!used.is_object() && !used.is_array()) {
        fail(item_path, fmt::format("\"use\" gave {}, expected a list or an object", kind(used)));
      }
      result = std::move(used);
    } else if (used.type() != result.type()) {
      fail(item_path, fmt::format("\"use\" gave {} after giving {}", kind(used), kind(result)));
    } else if (result.is_array()) {
      for (auto& v : used) result.push_back(std::move(v));
    } else {
      for (auto& [k, v] : used.items()) result[k] = std::move(v);
    }
  };

  if (from.is_array()) {
    for (std::size_t i = 0; i < from.size() && top > 0; ++i) visit(i, std::move(from[i]), json_path_index(path, i));
  } else {
    for (auto& [key, item] : from.items()) {
      if (top == 0) break;
      visit(key, std::move(item), json_path_key(path, key));
    }
  }
  if (!result.is_null()) return result;
  if (auto it = call.find("noMatchResult"); it != call.end()) {
    return e.expand(std::move(*it), scope, json_path_key(path, "noMatchResult"));
  }
  return from.is_object() ? json::object() : json::array();
}

json define(Engine& e, json& call, const Scope& scope, const std::string& path) {
  json vars = e.expand(take(call, "vars", path), scope, json_path_key(path, "vars"));
  if (!vars.is_object()) fail(json_path_key(path, "vars"), fmt::format("must be an object, got {}", describe_json(vars)));
  Scope inner(&scope);
  for (auto& [name, value] : vars.items()) inner.set(name, std::move(value));
  return e.expand(take(call, "result", path), inner, path);
}

}  // namespace

void register_object_builtins(Engine& e) {
  e.add_object_builtin("macroDef", noop);
  e.add_object_builtin("constDef", noop);
  e.add_object_builtin("transform", transform);
  e.add_object_builtin("process", process);
  e.add_object_builtin("foreach", foreach);
  e.add_object_builtin("define", define);
}

}  // namespace mcrelay::config::jsonm
