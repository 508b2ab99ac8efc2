// JSONM definitions and imports: the top-level "macros" (macroDef / constDef), the deprecated "consts" list,
// and @import with its file reader.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/jsonm_engine.hpp"
#include "config/relaxed_json.hpp"

namespace mcrelay::config {

namespace jsonm {

void Engine::load_definitions(json definitions, const std::string& path) {
  json expanded = expand(std::move(definitions), Scope{}, path);
  if (expanded.is_object()) {
    for (const auto& [name, definition] : expanded.items()) {
      load_definition(name, definition, json_path_key(path, name));
    }
  } else if (expanded.is_array()) {
    for (std::size_t i = 0; i < expanded.size(); ++i) {
      load_definitions(std::move(expanded[i]), json_path_index(path, i));
    }
  } else {
    fail(path, fmt::format("must be an object of macro and constant definitions (or a list of such objects), got {}",
                           describe_json(expanded)));
  }
}

void Engine::load_definition(const std::string& name, const json& definition, const std::string& path) {
  if (!definition.is_object()) {
    fail(path, fmt::format("a definition must be an object {{\"type\": \"macroDef\" or \"constDef\", ...}}, got {}",
                           describe_json(definition)));
  }
  const auto type = definition.find("type");
  if (type == definition.end() || !type->is_string()) {
    fail(path, "a definition needs \"type\": \"macroDef\" or \"constDef\"");
  }
  const auto result = definition.find("result");
  if (result == definition.end()) fail(path, "missing \"result\"");
  if (*type == "constDef") {
    add_const(name, *result);
    return;
  }
  if (*type != "macroDef") {
    fail(json_path_key(path, "type"), fmt::format("unknown definition type {} (expected \"macroDef\" or \"constDef\")",
                                                  describe_json(*type)));
  }
  Macro macro;
  macro.body = *result;
  if (auto params = definition.find("params"); params != definition.end()) {
    const std::string params_path = json_path_key(path, "params");
    if (!params->is_array()) fail(params_path, fmt::format("must be a list, got {}", describe_json(*params)));
    bool need_default = false;
    for (std::size_t i = 0; i < params->size(); ++i) {
      const json& p = (*params)[i];
      const std::string p_path = json_path_index(params_path, i);
      Param param;
      if (p.is_string()) {
        param.name = p.get<std::string>();
      } else if (p.is_object()) {
        const auto n = p.find("name");
        if (n == p.end() || !n->is_string()) fail(p_path, "a parameter object needs a string \"name\"");
        param.name = n->get<std::string>();
        if (auto d = p.find("default"); d != p.end()) {
          param.has_default = true;
          param.default_value = *d;
        } else if (p.contains("optional")) {
          param.optional = true;
        }
      } else {
        fail(p_path, fmt::format("a parameter must be a name or {{\"name\": ..., \"default\": ...}}, got {}",
                                 describe_json(p)));
      }
      const bool omittable = param.has_default || param.optional;
      if (need_default && !omittable) {
        fail(p_path, fmt::format("parameter \"{}\" needs a default (or \"optional\"): it follows one that has one",
                                 param.name));
      }
      need_default = need_default || omittable;
      if (!omittable) ++macro.min_args;
      macro.params.push_back(std::move(param));
    }
  }
  macros_[name] = std::move(macro);
}

void Engine::load_const_list(json consts, const std::string& path) {
  json expanded = expand(std::move(consts), Scope{}, path);
  if (!expanded.is_array()) fail(path, fmt::format("must be a list of constDefs, got {}", describe_json(expanded)));
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    const json& c = expanded[i];
    const std::string c_path = json_path_index(path, i);
    if (!c.is_object() || c.value("type", json()) != "constDef") {
      fail(c_path, "expected {\"type\": \"constDef\", \"name\": ..., \"result\": ...}");
    }
    const auto name = c.find("name");
    if (name == c.end() || !name->is_string()) fail(c_path, "a constDef here needs a string \"name\"");
    const auto result = c.find("result");
    if (result == c.end()) fail(c_path, "missing \"result\"");
    add_const(name->get<std::string>(), *result);
  }
}

json Engine::import(const std::string& file, const std::string& path) {
  std::string resolved = file;
  if (file.starts_with("file:")) {
    resolved = file.substr(5);
  } else if (!options_.import_dir.empty() && !std::filesystem::path(file).is_absolute()) {
    resolved = (std::filesystem::path(options_.import_dir) / file).string();
  }
  if (auto it = imports_.find(resolved); it != imports_.end()) {
    charge_copy(it->second, path);
    return it->second;
  }
  if (importing_.count(resolved) != 0) fail(path, fmt::format("{} imports itself", resolved));
  if (imports_.size() + importing_.size() >= kJsonmMaxImports) {
    fail(path, fmt::format("more than {} imported files", kJsonmMaxImports));
  }
  std::string text;
  json parsed;
  try {
    text = options_.read_import ? options_.read_import(resolved) : read_import_file(resolved);
    charge(text.size() / 16, path);
    parsed = parse_relaxed_json(text, resolved);
  } catch (const ConfigError& e) {
    fail(path, e.what());
  }
  importing_.insert(resolved);
  json result;
  try {
    result = expand(std::move(parsed), Scope{}, path);
  } catch (Failure& f) {
    importing_.erase(resolved);
    f.calls.push_back(resolved);
    throw;
  }
  importing_.erase(resolved);
  imports_[resolved] = result;
  return result;
}

}  // namespace jsonm

std::string read_import_file(const std::string& path) {
  const auto cannot_read = [&path](int err) {
    return ConfigError(fmt::format("cannot read {}: {}", path, std::strerror(err)));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw cannot_read(errno);
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0) throw cannot_read(errno);
  if (!S_ISREG(st.st_mode)) throw ConfigError(fmt::format("cannot read {}: not a regular file", path));
  if (static_cast<std::size_t>(st.st_size) > kJsonmMaxImportBytes) {
    throw ConfigError(fmt::format("cannot read {}: larger than {} bytes", path, kJsonmMaxImportBytes));
  }
  std::string text;
  char buffer[65536];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (text.size() > kJsonmMaxImportBytes) {
      throw ConfigError(fmt::format("cannot read {}: larger than {} bytes", path, kJsonmMaxImportBytes));
    }
    if (n < sizeof buffer) {
      if (std::ferror(file.get())) throw cannot_read(errno);
      break;
    }
  }
  return text;
}

}  // namespace mcrelay::config
