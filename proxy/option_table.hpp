#pragma once
// The command-line option table: every option mcrouter defines (mcrouter_options_list.h,
// standalone_options_list.h and the few its main() handles itself), plus mcrelay's own, each with what
// mcrelay does with it. parse_options() (options.cpp) is driven by this table; --help and
// docs/configuration.md list the same names.
//
// Contract: immutable data and pure functions; used on the main thread at start-up.
#include <span>
#include <string>
#include <string_view>

namespace mcrelay {

struct Options;

enum class OptionArg {
  none,      // --help: no value
  required,  // --port 5000, --port=5000, -p 5000, -p5000
  toggle,    // mcrouter's toggles: --flag, or --flag=VALUE (1/0, true/false, yes/no, on/off, y/n, t/f)
  optional,  // --validate-config or --validate-config=run: a value only after '='
  two,       // --route-key OP KEY
};

enum class OptionEffect {
  acts,       // mcrelay does what mcrouter does (possibly under another name: an alias)
  mcrelay,    // mcrelay's own option, not mcrouter's
  no_effect,  // accepted, with no effect here; named in one warning line at start-up
  refused,    // accepting it would silently break clients (e.g. a TLS port): exit 2 with the reason
};

// Applies a value to the options. Returns "" or the reason the value is invalid (the parser names the
// option). For toggles the value is "1" or "0": mcrouter's field value (see parse_options).
using OptionSetter = std::string (*)(Options&, const std::string& value);

struct OptionSpec {
  std::string_view name;  // long name without "--"
  char short_name;        // '\0': none
  OptionArg arg;
  OptionEffect effect;
  OptionSetter set;         // null for no_effect / refused
  bool toggle_default = false;  // toggles: mcrouter's default of the field ("disable-*" toggles: true)
};

std::span<const OptionSpec> option_table();

// Exact long name, then (like getopt_long) a unique prefix of one. `ambiguous` gets the candidates when a
// prefix matches several.
const OptionSpec* find_long_option(std::string_view name, std::string* ambiguous = nullptr);
const OptionSpec* find_short_option(char c);

// Why a refused option is refused (operator-facing).
std::string_view refusal_reason(std::string_view name);

}  // namespace mcrelay
