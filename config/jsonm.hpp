#pragma once
// JSONM: mcrouter's JSON-with-macros config language, expanded into plain JSON before the config is loaded.
//
// Contract: preprocess_jsonm is called by the config loader (config/config.cpp) on the main/control thread, at
// start-up and on reload, with the document parsed by parse_relaxed_json. It returns the expanded document
// (what mcrouter's ConfigPreprocessor::getConfigWithoutMacros returns): the top-level "macros" (and the
// deprecated top-level "consts" list) are read and removed, and every other value is expanded:
//   - "@name" / "@name(arg, ...)" strings call a macro or built-in; {"type": "name", "param": ...} objects call
//     one with named arguments (and the object-only built-ins transform, process, foreach, define);
//   - "%var%" inside strings substitutes a macro parameter, a loop variable, a constDef or a --config-params
//     value (a string that is exactly "%var%" takes the variable's value of any type);
//   - a backslash escapes the next character ("\\@", "\\%", "\\(", "\\)", "\\,", "\\\\" in JSON text);
//   - "@import(path)" reads, parses and expands another file (relative paths resolve against
//     JsonmOptions::import_dir, "file:" paths are used as given; each path is read once per load).
// Every config goes through this, as in mcrouter: plain JSON without '@', '%' or '\\' in strings comes back
// unchanged. Throws ConfigError "<source>: <json.path>: @macro: ...: <reason>" where the path is the position
// in the expanded document and the @names are the chain of calls that led to the failure. Expansion is bounded
// (kJsonmMaxNesting nested calls/values, kJsonmBudget units of work and produced values, imports limited in size
// and count) so a hostile or runaway config fails with an error instead of hanging or exhausting memory.
#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace mcrelay::config {

// mcrouter's default nesting limit for macro calls and values (ConfigPreprocessor's nestedLimit).
inline constexpr std::size_t kJsonmMaxNesting = 250;
// Units of work (one per value expanded) plus values produced (one per JSON node, one per 16 string bytes).
inline constexpr std::size_t kJsonmBudget = 4'000'000;
// An imported file may be at most this large, and a config may import at most kJsonmMaxImports files.
inline constexpr std::size_t kJsonmMaxImportBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kJsonmMaxImports = 1000;

struct JsonmOptions {
  // --config-params NAME:VALUE pairs, visible as %NAME% everywhere (constDefs of the same name replace them).
  std::map<std::string, std::string> params;
  // Directory that relative @import paths resolve against; empty: the current directory.
  std::string import_dir;
  // Reads one (resolved) import path; throws ConfigError when it cannot. Empty: read_import_file.
  std::function<std::string(const std::string& path)> read_import;
};

// Expands `root` (see above). A non-object `root` is returned as is (the loader reports it).
nlohmann::json preprocess_jsonm(nlohmann::json root, const std::string& source, const JsonmOptions& options = {});

// The default import reader: a regular file of at most kJsonmMaxImportBytes; ConfigError otherwise.
std::string read_import_file(const std::string& path);

}  // namespace mcrelay::config
