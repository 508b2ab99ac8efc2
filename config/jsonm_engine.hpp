#pragma once
// The JSONM expansion engine, shared by the expander (config/jsonm.cpp), the function-style built-ins
// (config/jsonm_builtins.cpp) and the object-only built-ins (config/jsonm_loops.cpp). Internal to config/.
//
// Files: config/jsonm.cpp (expansion, calls, variables), config/jsonm_definitions.cpp (macros, imports),
// config/jsonm_builtins.cpp and config/jsonm_loops.cpp (the built-ins), config/jsonm_text.cpp (string syntax).
//
// Contract: one Engine expands one config load on the main/control thread and is then discarded. Failures
// throw jsonm::Failure (path in the expanded document + reason); preprocess_jsonm turns it into ConfigError.
// Each macro or built-in call adds itself to Failure::calls of a failure inside it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/jsonm.hpp"

namespace mcrelay::config::jsonm {

using json = nlohmann::json;

class Failure : public std::exception {
 public:
  Failure(std::string where, std::string why) : path(std::move(where)), reason(std::move(why)) {}
  const char* what() const noexcept override { return reason.c_str(); }
  // "@outer: @inner: reason", repeated calls collapsed ("@a (x124): ...") and long chains shortened.
  std::string message() const;

  std::string path;                // JSON path in the expanded document ("" for the top level)
  std::string reason;              // what went wrong, innermost
  std::vector<std::string> calls;  // the calls it happened in ("@merge", "%const%", "file.json"), innermost first
};

[[noreturn]] void fail(const std::string& path, std::string reason);

// "a string", "an integer", "a list", ... for error messages.
std::string kind(const json& value);

// The value of an integer (signed or unsigned JSON number that fits an int64), if it is one.
std::optional<std::int64_t> as_int(const json& value);

// Variables visible to an expansion. A base scope (a macro call's arguments, or the top level) hides the
// scopes outside it; an extended scope (a loop's key/item, define's vars) adds to the scope it extends.
class Scope {
 public:
  Scope() = default;
  explicit Scope(const Scope* outer) : outer_(outer) {}  // extends *outer
  Scope(Scope&&) = default;
  Scope& operator=(Scope&&) = default;
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  const json* find(std::string_view name) const {
    if (auto it = vars_.find(name); it != vars_.end()) return &it->second;
    return outer_ != nullptr ? outer_->find(name) : nullptr;
  }
  json& set(const std::string& name, json value) { return vars_[name] = std::move(value); }
  bool has_own(std::string_view name) const { return vars_.find(name) != vars_.end(); }

 private:
  const Scope* outer_ = nullptr;
  std::map<std::string, json, std::less<>> vars_;
};

class Engine;

// One call of a function-style built-in: its expanded arguments (and defaults), and for the lazy built-ins
// (if, select) the unexpanded ones, expanded on demand in the caller's scope.
struct Call {
  Engine& engine;
  const std::string& path;
  const Scope& caller;
  Scope args;
  std::map<std::string, json, std::less<>> raw;

  json& at(std::string_view name);  // an expanded argument the macro declares as required
  bool has_raw(std::string_view name) const { return raw.find(name) != raw.end(); }
  json expand_raw(std::string_view name);  // expands a lazy argument (which must be present)
  [[noreturn]] void fail(std::string reason) const { jsonm::fail(path, std::move(reason)); }
  std::int64_t int_arg(std::string_view name);
  const std::string& string_arg(std::string_view name);
  bool bool_arg(std::string_view name);
};

using BuiltinFn = json (*)(Call&);
// Object-only built-ins get the whole call object (unexpanded) and the caller's scope.
using ObjectBuiltinFn = json (*)(Engine&, json& call, const Scope& scope, const std::string& path);

struct Param {
  std::string name;
  json default_value;
  bool has_default = false;
  bool optional = false;  // may be omitted without a default: then it is simply not set
};

struct Macro {
  std::vector<Param> params;
  std::size_t min_args = 0;
  bool lazy = false;             // arguments stay unexpanded until the built-in asks (if, select)
  BuiltinFn builtin = nullptr;   // a built-in, or
  json body;                     // a macroDef's "result"
};

class Engine {
 public:
  explicit Engine(const JsonmOptions& options);

  json expand(json value, const Scope& scope, const std::string& path);
  json expand_string(std::string_view text, const Scope& scope, const std::string& path);

  // Counts `units` of work or produced values against kJsonmBudget; fails when it is exceeded.
  void charge(std::size_t units, const std::string& path);
  // Charges the size of a value about to be copied (one per node, one per 16 string bytes).
  void charge_copy(const json& value, const std::string& path);

  void add_builtin(std::string name, std::vector<Param> params, BuiltinFn fn, bool lazy = false);
  void add_object_builtin(std::string name, ObjectBuiltinFn fn) { object_builtins_[std::move(name)] = fn; }
  void add_const(const std::string& name, json value);

  // Top-level "macros": an object name -> macroDef/constDef, or a list of such objects (nested lists too).
  void load_definitions(json definitions, const std::string& path);
  // The deprecated top-level "consts": a list of {"type": "constDef", "name": ..., "result": ...}.
  void load_const_list(json consts, const std::string& path);

  json import(const std::string& file, const std::string& path);
  std::minstd_rand& random() { return random_; }

 private:
  friend class DepthGuard;
  json call(const Macro& macro, Call& call);
  json call_with_strings(const std::string& name, const std::vector<std::string_view>& args, const Scope& scope,
                         const std::string& path);
  json call_with_object(const std::string& name, json& object, const Scope& scope, const std::string& path);
  json replace_params(std::string_view text, const Scope& scope, const std::string& path);
  const json& lookup(const std::string& name, const Scope& scope, const std::string& path);
  void load_definition(const std::string& name, const json& definition, const std::string& path);

  struct Const {
    json value;
    bool expanded = false;
    bool expanding = false;
  };

  const JsonmOptions& options_;
  std::map<std::string, Macro, std::less<>> macros_;
  std::map<std::string, ObjectBuiltinFn, std::less<>> object_builtins_;
  std::map<std::string, Const, std::less<>> consts_;
  std::map<std::string, json, std::less<>> imports_;  // resolved path -> expanded content
  std::set<std::string, std::less<>> importing_;       // imports being expanded (cycle detection)
  std::size_t depth_ = 0;
  std::size_t used_ = 0;
  std::minstd_rand random_;
};

void register_builtins(Engine& engine);         // config/jsonm_builtins.cpp
void register_object_builtins(Engine& engine);  // config/jsonm_loops.cpp

}  // namespace mcrelay::config::jsonm
