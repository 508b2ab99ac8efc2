#include "config/jsonm.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/jsonm_engine.hpp"
#include "config/jsonm_text.hpp"

namespace mcrelay::config {

namespace jsonm {

void fail(const std::string& path, std::string reason) { throw Failure(path, std::move(reason)); }

std::string Failure::message() const {
  // Outermost first, runs of the same call collapsed: a macro that recursed 100 times is one entry.
  std::vector<std::string> chain;
  std::vector<std::size_t> repeats;
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (!chain.empty() && chain.back() == *it) {
      ++repeats.back();
    } else {
      chain.push_back(*it);
      repeats.push_back(1);
    }
  }
  constexpr std::size_t kShown = 6;  // at each end of a long chain
  std::string out;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain.size() > 2 * kShown && i == kShown) {
      out += fmt::format("... ({} more calls): ", chain.size() - 2 * kShown);
      i = chain.size() - kShown - 1;
      continue;
    }
    out += repeats[i] > 1 ? fmt::format("{} (x{}): ", chain[i], repeats[i]) : chain[i] + ": ";
  }
  return out + reason;
}

std::string kind(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    default: return "a binary value";
  }
}

std::optional<std::int64_t> as_int(const json& value) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

// Bounds the nesting of expansions (values inside values, calls inside calls), as mcrouter's nestedLimit.
class DepthGuard {
 public:
  DepthGuard(Engine& engine, const std::string& path) : engine_(engine) {
    if (++engine_.depth_ > kJsonmMaxNesting) {
      --engine_.depth_;
      fail(path, fmt::format("macros and values nest more than {} deep (a macro that calls itself?)",
                             kJsonmMaxNesting));
    }
  }
  ~DepthGuard() { --engine_.depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Engine& engine_;
};

json& Call::at(std::string_view name) {
  // Only reached for parameters the built-in declares without a default, which the call always sets.
  auto* value = const_cast<json*>(args.find(name));
  if (value == nullptr) fail(fmt::format("missing argument \"{}\"", name));
  return *value;
}

json Call::expand_raw(std::string_view name) {
  auto it = raw.find(name);
  if (it == raw.end()) fail(fmt::format("missing argument \"{}\"", name));
  json value = std::move(it->second);
  raw.erase(it);
  return engine.expand(std::move(value), caller, path);
}

std::int64_t Call::int_arg(std::string_view name) {
  const json& value = at(name);
  const auto i = as_int(value);
  if (!i) fail(fmt::format("{} must be an integer, got {}", name, describe_json(value)));
  return *i;
}

const std::string& Call::string_arg(std::string_view name) {
  const json& value = at(name);
  if (!value.is_string()) fail(fmt::format("{} must be a string, got {}", name, describe_json(value)));
  return value.get_ref<const std::string&>();
}

bool Call::bool_arg(std::string_view name) {
  const json& value = at(name);
  if (!value.is_boolean()) fail(fmt::format("{} must be true or false, got {}", name, describe_json(value)));
  return value.get<bool>();
}

Engine::Engine(const JsonmOptions& options) : options_(options), random_(std::random_device{}()) {
  register_builtins(*this);
  register_object_builtins(*this);
  for (const auto& [name, value] : options_.params) add_const(name, json(value));
}

void Engine::charge(std::size_t units, const std::string& path) {
  used_ += units;
  if (used_ > kJsonmBudget) {
    fail(path, fmt::format("the expansion is too large (more than {} units of work and values); a runaway macro?",
                           kJsonmBudget));
  }
}

namespace {

// Stops counting once `limit` is passed: the caller fails then anyway.
std::size_t weight(const json& value, std::size_t limit) {
  if (value.is_string()) return 1 + value.get_ref<const std::string&>().size() / 16;
  std::size_t w = 1;
  if (value.is_structured()) {
    for (const auto& child : value) {
      w += weight(child, limit);
      if (w > limit) break;
    }
    if (value.is_object()) {
      for (const auto& [key, _] : value.items()) w += key.size() / 16;
    }
  }
  return w;
}

}  // namespace

void Engine::charge_copy(const json& value, const std::string& path) {
  charge(weight(value, kJsonmBudget - std::min(used_, kJsonmBudget) + 1), path);
}

void Engine::add_builtin(std::string name, std::vector<Param> params, BuiltinFn fn, bool lazy) {
  Macro macro;
  for (const auto& p : params) {
    if (!p.has_default && !p.optional) ++macro.min_args;
  }
  macro.params = std::move(params);
  macro.lazy = lazy;
  macro.builtin = fn;
  macros_[std::move(name)] = std::move(macro);
}

void Engine::add_const(const std::string& name, json value) { consts_[name] = Const{std::move(value)}; }

json Engine::expand(json value, const Scope& scope, const std::string& path) {
  DepthGuard guard(*this, path);
  charge(1, path);
  if (value.is_string()) return expand_string(value.get_ref<const std::string&>(), scope, path);
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      value[i] = expand(std::move(value[i]), scope, json_path_index(path, i));
    }
    return value;
  }
  if (!value.is_object()) return value;

  // {"type": "name", ...} calls an object-only built-in or a macro with named arguments.
  std::optional<json> type;
  if (auto it = value.find("type"); it != value.end()) {
    type = expand(*it, scope, json_path_key(path, "type"));
    if (type->is_string()) {
      const std::string name = type->get<std::string>();
      if (auto ob = object_builtins_.find(name); ob != object_builtins_.end()) {
        try {
          return ob->second(*this, value, scope, path);
        } catch (Failure& f) {
          f.calls.push_back("@" + name);
          throw;
        }
      }
      if (macros_.find(name) != macros_.end()) return call_with_object(name, value, scope, path);
    }
  }
  // A plain object: keys and values are expanded.
  json out = json::object();
  for (auto& [key, child] : value.items()) {
    const std::string key_path = json_path_key(path, key);
    json new_key = expand_string(key, scope, key_path);
    if (!new_key.is_string()) fail(key_path, fmt::format("the key expanded to {}, expected a string", kind(new_key)));
    const std::string& k = new_key.get_ref<const std::string&>();
    if (key == "type" && type) {
      out[k] = std::move(*type);
    } else {
      out[k] = expand(std::move(child), scope, json_path_key(path, k));
    }
  }
  return out;
}

json Engine::expand_string(std::string_view text, const Scope& scope, const std::string& path) {
  DepthGuard guard(*this, path);
  if (text.empty()) return "";
  if (text[0] != '@') return replace_params(text, scope, path);

  std::string_view name_text;
  std::vector<std::string_view> args;
  if (const std::size_t open = find_unescaped(text, '('); open != std::string_view::npos) {
    if (text.back() != ')') {
      fail(path, fmt::format("a macro call must end with ')': {}", describe_json(json(std::string(text)))));
    }
    name_text = text.substr(1, open - 1);
    try {
      args = split_call_args(text.substr(open + 1, text.size() - open - 2));
    } catch (const std::invalid_argument& e) {
      fail(path, e.what());
    }
  } else {
    name_text = text.substr(1);
  }
  const json name = replace_params(name_text, scope, path);
  if (!name.is_string()) fail(path, fmt::format("a macro name expanded to {}, expected a string", kind(name)));
  return call_with_strings(name.get<std::string>(), args, scope, path);
}

json Engine::replace_params(std::string_view text, const Scope& scope, const std::string& path) {
  std::string out;
  while (!text.empty()) {
    const std::size_t percent = unescape_until(text, out, '%');
    if (percent == std::string_view::npos) break;
    text.remove_prefix(percent + 1);
    std::string name;
    const std::size_t end = unescape_until(text, name, '%');
    if (end == std::string_view::npos) {
      fail(path, fmt::format("unmatched '%' before {} (write \\\\% for a literal %)",
                             describe_json(json(std::string(text)))));
    }
    const json& value = lookup(name, scope, path);
    if (out.empty() && end == text.size() - 1) {
      // The whole string is one variable: it takes the variable's value, whatever its type.
      charge_copy(value, path);
      return value;
    }
    if (!value.is_string()) {
      fail(path, fmt::format("%{}% is {}, so it cannot be part of a longer string", name, kind(value)));
    }
    const std::string& piece = value.get_ref<const std::string&>();
    charge(1 + piece.size() / 16, path);
    out += piece;
    text.remove_prefix(end + 1);
  }
  return out;
}

const json& Engine::lookup(const std::string& name, const Scope& scope, const std::string& path) {
  if (const json* value = scope.find(name)) return *value;
  auto it = consts_.find(name);
  if (it == consts_.end()) {
    fail(path, fmt::format("unknown variable %{}% (not a parameter, loop variable, constDef or --config-params "
                           "name here)",
                           name));
  }
  Const& c = it->second;
  if (!c.expanded) {
    if (c.expanding) fail(path, fmt::format("%{}% is defined in terms of itself", name));
    c.expanding = true;
    try {
      c.value = expand(std::move(c.value), Scope{}, path);
    } catch (Failure& f) {
      c.expanding = false;
      f.calls.push_back("%" + name + "%");
      throw;
    }
    c.expanding = false;
    c.expanded = true;
  }
  return c.value;
}

json Engine::call(const Macro& macro, Call& c) {
  if (macro.builtin != nullptr) return macro.builtin(c);
  return expand(macro.body, c.args, c.path);
}

json Engine::call_with_strings(const std::string& name, const std::vector<std::string_view>& args, const Scope& scope,
                               const std::string& path) {
  auto it = macros_.find(name);
  if (it == macros_.end()) fail(path, fmt::format("unknown macro @{}", name));
  const Macro& macro = it->second;
  try {
    if (args.size() < macro.min_args) {
      fail(path, fmt::format("expected at least {} argument{}, got {}", macro.min_args,
                             macro.min_args == 1 ? "" : "s", args.size()));
    }
    if (args.size() > macro.params.size()) {
      fail(path, fmt::format("expected at most {} argument{}, got {}", macro.params.size(),
                             macro.params.size() == 1 ? "" : "s", args.size()));
    }
    Call c{*this, path, scope, Scope{}, {}};
    for (std::size_t i = 0; i < macro.params.size(); ++i) {
      const Param& p = macro.params[i];
      if (i < args.size()) {
        if (macro.lazy) {
          c.raw[p.name] = std::string(args[i]);
        } else {
          c.args.set(p.name, expand_string(args[i], scope, path));
        }
      } else if (p.has_default) {
        c.args.set(p.name, p.default_value);
      }
    }
    return call(macro, c);
  } catch (Failure& f) {
    f.calls.push_back("@" + name);
    throw;
  }
}

json Engine::call_with_object(const std::string& name, json& object, const Scope& scope, const std::string& path) {
  const Macro& macro = macros_.find(name)->second;
  try {
    Call c{*this, path, scope, Scope{}, {}};
    for (const Param& p : macro.params) {
      if (auto it = object.find(p.name); it != object.end()) {
        if (macro.lazy) {
          c.raw[p.name] = std::move(*it);
        } else {
          c.args.set(p.name, expand(std::move(*it), scope, json_path_key(path, p.name)));
        }
      } else if (p.has_default) {
        c.args.set(p.name, p.default_value);
      } else if (!p.optional) {
        fail(path, fmt::format("missing \"{}\"", p.name));
      }
    }
    return call(macro, c);
  } catch (Failure& f) {
    f.calls.push_back("@" + name);
    throw;
  }
}

}  // namespace jsonm

nlohmann::json preprocess_jsonm(nlohmann::json root, const std::string& source, const JsonmOptions& options) {
  if (!root.is_object()) return root;
  try {
    jsonm::Engine engine(options);
    if (auto consts = root.find("consts"); consts != root.end() && consts->is_array()) {
      engine.load_const_list(std::move(*consts), "consts");
      root.erase("consts");
    }
    if (auto macros = root.find("macros"); macros != root.end()) {
      engine.load_definitions(std::move(*macros), "macros");
      root.erase("macros");
    }
    return engine.expand(std::move(root), jsonm::Scope{}, "");
  } catch (const jsonm::Failure& f) {
    throw ConfigError::at_path(source, f.path, f.message());
  }
}

}  // namespace mcrelay::config
