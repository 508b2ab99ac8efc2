// JSONM (config/jsonm.hpp): mcrouter's preprocessor test vectors, error messages with paths and macro chains,
// the bounds on hostile configs, --config-params, @import from files, and the glue in parse_config.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "config/config.hpp"
#include "config/jsonm.hpp"
#include "config/jsonm_hash.hpp"
#include "config/jsonm_text.hpp"
#include "config/relaxed_json.hpp"

using namespace mcrelay::config;
using nlohmann::json;

namespace {

// As mcrouter's preprocessor test: two globals and a mock import resolver.
JsonmOptions vector_options() {
  JsonmOptions o;
  o.params = {{"testGlobal", "test"}, {"templGlobal", "templ"}};
  o.read_import = [](const std::string& path) -> std::string {
    if (path == "test") return "\"mock_test\"";
    if (path == "templ") return R"j({ "type": "macroDef", "result": "imported_macro" })j";
    throw ConfigError("cannot read " + path + ": No such file or directory");
  };
  return o;
}

json expand(const std::string& text, const JsonmOptions& options = vector_options()) {
  return preprocess_jsonm(parse_relaxed_json(text, "config.json"), "config.json", options);
}

std::string error_for(const std::string& text, const JsonmOptions& options = vector_options()) {
  try {
    expand(text, options);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory under the temp dir, removed at the end of the test.
struct TempDir {
  TempDir() : path(std::filesystem::temp_directory_path() / ("mcrelay_jsonm_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
  std::filesystem::path path;
};

}  // namespace

TEST_CASE("JSONM: mcrouter's preprocessor test vectors", "[config][jsonm]") {
  const json groups = parse_relaxed_json(
      read_file(std::filesystem::path(MCRELAY_SOURCE_DIR) / "tests/config/data/jsonm_vectors.json"), "vectors");
  std::size_t cases = 0;
  for (const auto& [group, spec] : groups.items()) {
    for (const auto& [name, c] : spec.at("cases").items()) {
      DYNAMIC_SECTION(group << ":" << name) {
        const json doc = {{"macros", spec.at("macros")}, {"orig", c.at("orig")}};
        json out;
        REQUIRE_NOTHROW(out = preprocess_jsonm(doc, "vectors", vector_options()));
        CHECK(out == json{{"orig", c.at("expand")}});
      }
      ++cases;
    }
  }
  CHECK(cases == 98);
}

TEST_CASE("JSONM: mcrouter's error vectors all fail", "[config][jsonm]") {
  const std::map<std::string, std::string> cases = {
      {"nestedLimit", R"j({"macros": {"a": {"type": "macroDef", "result": "@a"}}, "ret": "@a"})j"},
      {"invalidMacroDef", R"j({"macros": {"a": "str"}})j"},
      {"invalidMacroDefType", R"j({"macros": {"a": {"result": "a"}}})j"},
      {"invalidMerge", R"j({"ret": {"type": "merge", "params": [[], {}]}})j"},
      {"invalidSelect", R"j({"ret": {"type": "select", "key": "b", "dictionary": {"a": 1}}})j"},
      {"invalidSelectDictList", R"j({"ret": {"type": "select", "key": ["a", "a"], "dictionary": {"a": 1}}})j"},
      {"selectFailDefault", R"j({"ret": {"type": "select", "dictionary": ["a"], "key": 2, "default": "@fail(No key)"}})j"},
      {"invalidSelectArrayList", R"j({"ret": {"type": "select", "key": [0, 1, 0], "dictionary": ["a", "b"]}})j"},
      {"invalidTransform", R"j({"ret": {"type": "transform", "dictionary": [1]}})j"},
      {"invalidTransformNames",
       R"j({"ret": {"type": "transform", "itemName": "not_item", "itemTransform": "%item%", "dictionary": {"a": 1}}})j"},
      {"invalidDefaults",
       R"j({"macros": {"a": {"type": "macroDef", "params": [{"name": "a", "default": 1}, "b"], "result": "a"}}})j"},
      {"tooFewParams",
       R"j({"macros": {"a": {"type": "macroDef", "params": ["a", {"name": "b", "default": "1"}], "result": "%a%"}}, "ret": "@a"})j"},
      {"tooManyParams",
       R"j({"macros": {"a": {"type": "macroDef", "params": ["a", {"name": "b", "default": "1"}], "result": "%a%"}}, "ret": "@a(1,2,3)"})j"},
      {"stringAfterMacro",
       R"j({"macros": {"a": {"type": "macroDef", "params": ["a"], "result": "%a%"}}, "ret": "@a()a"})j"},
      {"divBy0", R"j({"ret": "@div(@int(5),@int(0))"})j"},
      {"modBy0", R"j({"ret": "@mod(@int(5),@int(0))"})j"},
      {"lessObjs", R"j({"ret": {"type": "less", "A": {}, "B": {}}})j"},
      {"fail", R"j({"ret": "@fail(Custom failure here)"})j"},
      {"set_out_of_range", R"j({"ret": {"type": "set", "dictionary": [1, 2], "key": 2, "value": 3}})j"},
      {"out_of_scope",
       R"j({"macros": {"a": {"type": "macroDef", "result": "%item%"}}, "ret": {"type": "transform", "dictionary": [1, 2, 3], "itemTransform": "@a"}})j"},
  };
  for (const auto& [name, text] : cases) {
    CAPTURE(name);
    CHECK_THROWS_AS(expand(text), ConfigError);
  }
}

TEST_CASE("JSONM: errors name the path in the expanded config and the chain of calls", "[config][jsonm]") {
  CHECK(error_for(R"j({"route": {"type": "FailoverRoute", "children": ["PoolRoute|A",
                       {"type": "merge", "params": [["x"], {"y": 1}]}]}})j") ==
        "config.json: route.children[1]: @merge: params[1] is an object, expected a list as params[0]");
  CHECK(error_for(R"j({"macros": {"pair": {"type": "macroDef", "params": ["a"], "result": ["@merge(%a%, 1)"]}},
                      "route": ["@pair(x)"]})j") ==
        "config.json: route[0][0]: @pair: @merge: expected at most 1 argument, got 2");
  CHECK(error_for(R"j({"route": "@nope(1)"})j") == "config.json: route: unknown macro @nope");
  CHECK(error_for(R"j({"route": "a%b"})j") ==
        "config.json: route: unmatched '%' before \"b\" (write \\\\% for a literal %)");
  CHECK(error_for(R"j({"route": "x%who%"})j") ==
        "config.json: route: unknown variable %who% (not a parameter, loop variable, constDef or --config-params "
        "name here)");
  CHECK(error_for(R"j({"macros": {"n": {"type": "constDef", "result": 5}}, "route": "x%n%"})j") ==
        "config.json: route: %n% is an integer, so it cannot be part of a longer string");
  CHECK(error_for(R"j({"pools": {"A": {"servers": ["@fail(no servers for %testGlobal%)"]}}})j") ==
        "config.json: pools.A.servers[0]: @fail: no servers for test");
  CHECK(error_for(R"j({"route": "@if(@int(1), a, b)"})j") == "config.json: route: @if: condition must be true or false, got 1");
  CHECK(error_for(R"j({"route": "@int(abc)"})j") == "config.json: route: @int: cannot convert \"abc\" to an integer");
  CHECK(error_for(R"j({"route": {"type": "transform", "dictionary": [1]}})j") ==
        "config.json: route: @transform: missing \"itemTransform\" (required for a list)");
  CHECK(error_for(R"j({"route": {"type": "select", "dictionary": [1]}})j") == "config.json: route: @select: missing \"key\"");
  CHECK(error_for(R"j({"macros": {"m": {"type": "macroDef", "params": [{"name": "a", "default": 1}, "b"], "result": 1}}})j") ==
        "config.json: macros.m.params[1]: parameter \"b\" needs a default (or \"optional\"): it follows one that has one");
  CHECK(error_for(R"j({"macros": {"m": {"type": "macroDf", "result": 1}}})j") ==
        "config.json: macros.m.type: unknown definition type \"macroDf\" (expected \"macroDef\" or \"constDef\")");
  CHECK(error_for(R"j({"route": "@str(@int(1)x"})j") == "config.json: route: a macro call must end with ')': \"@str(@int(1)x\"");
  CHECK(error_for(R"j({"route": "@str(@int(1)"})j") == "config.json: route: @str: a macro call must end with ')': \"@int(1\"");
  CHECK(error_for(R"j({"route": "@str(@int(1)x, 2)"})j") ==
        "config.json: route: @str: expected at most 1 argument, got 2");
}

TEST_CASE("JSONM: runaway configs fail with an error instead of hanging or exhausting memory", "[config][jsonm]") {
  // A macro that calls itself hits the nesting limit.
  // The recursion shows once, with its count; a long chain of different calls keeps its ends.
  CHECK(error_for(R"j({"macros": {"a": {"type": "macroDef", "result": "@a"}}, "route": "@a"})j") ==
        "config.json: route: @a (x124): macros and values nest more than 250 deep (a macro that calls itself?)");
  const std::string ping_pong = error_for(
      R"j({"macros": {"a": {"type": "macroDef", "result": "@b"}, "b": {"type": "macroDef", "result": "@a"}},
           "route": "@a"})j");
  CHECK(ping_pong == "config.json: route: @a: @b: @a: @b: @a: @b: ... (112 more calls): @a: @b: @a: @b: @a: @b: "
                     "macros and values nest more than 250 deep (a macro that calls itself?)");
  // Doubling constants: 2^40 values, with few calls (constants are expanded once).
  std::string consts = R"j("c0": {"type": "constDef", "result": ["x", "x"]})j";
  for (int i = 1; i <= 40; ++i) {
    consts += ", \"c" + std::to_string(i) + "\": {\"type\": \"constDef\", \"result\": [\"%c" + std::to_string(i - 1) +
              "%\", \"%c" + std::to_string(i - 1) + "%\"]}";
  }
  CHECK(error_for("{\"macros\": {" + consts + "}, \"route\": \"%c40%\"}").find("the expansion is too large") !=
        std::string::npos);
  // The same with strings.
  std::string strings = R"j("s0": {"type": "constDef", "result": "xxxxxxxxxxxxxxxx"})j";
  for (int i = 1; i <= 40; ++i) {
    strings += ", \"s" + std::to_string(i) + "\": {\"type\": \"constDef\", \"result\": \"%s" + std::to_string(i - 1) +
               "%%s" + std::to_string(i - 1) + "%\"}";
  }
  CHECK(error_for("{\"macros\": {" + strings + "}, \"route\": \"%s40%\"}").find("the expansion is too large") !=
        std::string::npos);
  CHECK(error_for(R"j({"route": "@range(@int(0), @int(9000000000000000000))"})j").find("the expansion is too large") !=
        std::string::npos);
  CHECK(error_for(R"j({"route": "@range(@int(-9223372036854775807), @int(9223372036854775807))"})j")
            .find("the expansion is too large") != std::string::npos);
  // Constants defined in terms of each other.
  CHECK(error_for(R"j({"macros": {"a": {"type": "constDef", "result": "%b%"}, "b": {"type": "constDef", "result": "%a%"}},
                      "route": "%a%"})j") ==
        "config.json: route: %a%: %b%: %a% is defined in terms of itself");
  // Deep JSON.
  CHECK(error_for("{\"route\": " + std::string(300, '[') + std::string(300, ']') + "}")
            .find("nest more than 250 deep") != std::string::npos);
  CHECK(error_for(R"j({"route": "@add(@int(9223372036854775807), @int(1))"})j") ==
        "config.json: route: @add: the sum overflows a 64-bit integer");
  CHECK(error_for(R"j({"route": "@div(@int(-9223372036854775808), @int(-1))"})j") ==
        "config.json: route: @div: the quotient overflows a 64-bit integer");
}

TEST_CASE("JSONM: more built-ins", "[config][jsonm]") {
  CHECK(expand(R"j({"a": "@str(@bool(true))", "b": "@str(@int(-3))", "c": "@bool(no)", "d": "@int(@bool(true))"})j") ==
        json{{"a", "1"}, {"b", "-3"}, {"c", false}, {"d", 1}});
  CHECK(expand(R"j({"a": "@size(abc)", "b": {"type": "size", "dictionary": [1, 2]}, "c": "@empty(%e%)",
                   "macros": {"e": {"type": "constDef", "result": {}}}})j") == json{{"a", 3}, {"b", 2}, {"c", true}});
  CHECK(expand(R"j({"a": "@isArray(%l%)", "b": "@isObject(%l%)", "c": "@isString(x)", "d": "@isInt(@int(1))",
                   "e": "@isBool(@bool(1))", "f": "@isInt(1)",
                   "macros": {"l": {"type": "constDef", "result": [1]}}})j") ==
        json{{"a", true}, {"b", false}, {"c", true}, {"d", true}, {"e", true}, {"f", false}});
  CHECK(expand(R"j({"a": "@sub(@int(1), @int(3))", "b": "@mod(@int(-7), @int(3))", "c": "@less(a, b)",
                   "d": "@less(@int(2), a)", "e": "@equals(%o%, %o%)", "f": "@or(@bool(0), @bool(1))",
                   "macros": {"o": {"type": "constDef", "result": {"k": [1, "x"]}}}})j") ==
        json{{"a", -2}, {"b", -1}, {"c", true}, {"d", true}, {"e", true}, {"f", true}});
  CHECK(expand(R"j({"a": {"type": "slice", "dictionary": {"a": 1, "b": 2, "c": 3, "d": 4}, "from": "b", "to": "c"}})j") ==
        json{{"a", {{"b", 2}, {"c", 3}}}});
  CHECK(expand(R"j({"a": {"type": "define", "vars": {"x": [1, 2]}, "result": {"n": "@size(%x%)", "v": "%x%"}}})j") ==
        json{{"a", {{"n", 2}, {"v", {1, 2}}}}});
  const json shuffled = expand(R"j({"a": {"type": "shuffle", "dictionary": [1, 2, 3, 4, 5, 6, 7, 8]}})j").at("a");
  std::vector<int> sorted = shuffled.get<std::vector<int>>();
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
  // The deprecated top-level "consts" list still defines constants.
  CHECK(expand(R"j({"consts": [{"type": "constDef", "name": "x", "result": "y"}], "a": "%x%"})j") == json{{"a", "y"}});
  // Object keys are expanded too.
  CHECK(expand(R"j({"%testGlobal%_key": 1, "@str(@int(2))": 2})j") == json{{"test_key", 1}, {"2", 2}});
}

TEST_CASE("JSONM: plain configs come back unchanged", "[config][jsonm]") {
  const std::string text = R"j({"pools": {"A": {"servers": ["127.0.0.1:11211", "[::1]:5000"], "hash": "ch3"}},
      "route": {"type": "PrefixSelectorRoute", "policies": {"a": "PoolRoute|A"}, "wildcard": "ErrorRoute|x y"},
      "n": [1, 2.5, true, null, "user@example.com"]})j";
  const json plain = parse_relaxed_json(text, "c");
  CHECK(preprocess_jsonm(plain, "c") == plain);
  CHECK(preprocess_jsonm(json::array({"@x"}), "c") == json::array({"@x"}));  // not an object: left to the loader
}

TEST_CASE("JSONM: --config-params values are variables; constDefs replace them", "[config][jsonm]") {
  JsonmOptions o;
  o.params = {{"region", "east"}, {"port", "11211"}};
  CHECK(preprocess_jsonm(json{{"a", "pool-%region%"}, {"p", "@int(%port%)"}}, "c", o) ==
        json{{"a", "pool-east"}, {"p", 11211}});
  const json doc = {{"macros", {{"region", {{"type", "constDef"}, {"result", "west"}}}}}, {"a", "%region%"}};
  CHECK(preprocess_jsonm(doc, "c", o) == json{{"a", "west"}});
}

TEST_CASE("JSONM: @import reads files relative to the config's directory", "[config][jsonm]") {
  TempDir dir;
  dir.write("servers.json", R"j(// the servers
      ["%host%:11211", "%host%:11212",])j");
  dir.write("macros.json", R"j({"pool": {"type": "macroDef", "params": ["name"], "result": "PoolRoute|%name%"}})j");
  dir.write("self.json", R"j(["@import(self.json)"])j");
  dir.write("bad.json", R"j({"a": })j");
  dir.write("config.json", R"j({
      "macros": [{"host": {"type": "constDef", "result": "127.0.0.1"}}, "@import(macros.json)"],
      "pools": {"A": {"servers": "@import(servers.json)"}, "B": {"servers": "@import(servers.json)"}},
      "route": "@pool(A)"})j");
  const Config cfg = load_config_file((dir.path / "config.json").string());
  CHECK(cfg.pools.at("A").servers.size() == 2);
  CHECK(cfg.preprocessed().at("pools").at("B").at("servers") == json{"127.0.0.1:11211", "127.0.0.1:11212"});
  CHECK(cfg.preprocessed().at("route") == "PoolRoute|A");
  CHECK(!cfg.preprocessed().contains("macros"));

  const std::string config = (dir.path / "config.json").string();
  const auto load_error = [&](const std::string& text) {
    dir.write("config.json", text);
    try {
      load_config_file(config);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string d = dir.path.string();
  CHECK(load_error(R"j({"route": "@import(self.json)"})j") ==
        config + ": route[0]: @import: " + d + "/self.json: @import: " + d + "/self.json imports itself");
  CHECK(load_error(R"j({"route": "@import(bad.json)"})j") ==
        config + ": route: @import: " + d + "/bad.json:1:7: expected a value");
  CHECK(load_error(R"j({"route": "@import(missing.json)"})j") ==
        config + ": route: @import: cannot read " + d + "/missing.json: No such file or directory");
  CHECK(load_error(R"j({"route": "@import(file:/dev/zero)"})j") ==
        config + ": route: @import: cannot read /dev/zero: not a regular file");
  // "file:" paths are used as given.
  CHECK(load_error("{\"pools\": {\"A\": {\"servers\": \"@import(file:" + d + "/servers.json)\"}}, "
                   "\"macros\": {\"host\": {\"type\": \"constDef\", \"result\": \"h\"}}, \"route\": \"PoolRoute|A\"}") ==
        "no error");
}

TEST_CASE("JSONM: parse_config expands before validating", "[config][jsonm]") {
  const Config cfg = parse_config(R"j({
      "macros": {
        "shard": {"type": "macroDef", "params": ["n"], "result": {"servers": ["127.0.0.1:%n%"]}},
        "pools": {"type": "constDef", "result": ["a", "b"]}
      },
      "pools": {"type": "transform", "dictionary": {"A": "1000", "B": "1001"}, "itemTransform": "@shard(%item%)"},
      "route": {"type": "FailoverRoute", "children": {"type": "foreach", "from": {"A": 1, "B": 2},
                                                     "use": ["PoolRoute|%key%"]}}})j",
                                  "<command line>");
  CHECK(cfg.pools.at("B").servers.at(0).host == "127.0.0.1");
  CHECK(cfg.preprocessed().at("route") ==
        json{{"type", "FailoverRoute"}, {"children", {"PoolRoute|A", "PoolRoute|B"}}});
  CHECK(cfg.root == cfg.preprocessed());
  try {
    parse_config(R"j({"pools": {}, "route": {"type": "merge", "params": [1]}})j", "config.json");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "config.json: route: @merge: params[0] must be a list, an object or a string, got 1");
    CHECK(e.json_path() == "route");
  }
}

TEST_CASE("JSONM text: call arguments, escapes and trimming", "[config][jsonm]") {
  using namespace mcrelay::config::jsonm;
  using V = std::vector<std::string_view>;
  CHECK(split_call_args("") == V{""});
  CHECK(split_call_args("a, b ,c") == V{"a", "b", "c"});
  CHECK(split_call_args("@f(1, 2), @g(3)") == V{"@f(1, 2)", "@g(3)"});
  CHECK(split_call_args("a\\,b, c") == V{"a\\,b", "c"});
  CHECK(split_call_args("x,") == V{"x", ""});
  CHECK_THROWS_AS(split_call_args("@f(1, 2"), std::invalid_argument);
  CHECK_THROWS_AS(split_call_args("@f(a,b) x"), std::invalid_argument);
  CHECK(trim_arg("  a\\ ") == "a\\ ");
  CHECK(trim_arg("a\\\\ ") == "a\\\\");
  CHECK(trim_arg(" \t\n") == "");
  std::string out;
  CHECK(unescape_until("a\\%b%c", out, '%') == 4);
  CHECK(out == "a%b");
  CHECK(find_unescaped("\\(x(", '(') == 3);
  CHECK(matching_paren("(a(\\)b))", 0) == 7);
}

TEST_CASE("JSONM: @hash bounds, and each import is read once per load", "[config][jsonm]") {
  CHECK(expand(R"j({"a": "@hash(@int(0))", "b": "@isInt(@hash(@str(x)))"})j") ==
        json{{"a", static_cast<std::int64_t>(mcrelay::config::jsonm::twang_mix64(0))}, {"b", true}});
  const std::string long_ok(191, 'x');
  const std::string too_long(192, 'x');
  CHECK(expand("{\"a\": \"@isInt(@hash(" + long_ok + "))\"}") == json{{"a", true}});
  CHECK(error_for("{\"a\": \"@hash(" + too_long + ")\"}") ==
        "config.json: a: @hash: strings of 192 bytes or more are not supported (got 192 bytes)");
  CHECK(error_for(R"j({"a": "@hash(%l%)", "macros": {"l": {"type": "constDef", "result": []}}})j") ==
        "config.json: a: @hash: value must be an integer or a string, got a list");

  int reads = 0;
  JsonmOptions o;
  o.import_dir = "/etc/mcrelay";
  o.read_import = [&reads](const std::string& path) -> std::string {
    ++reads;
    CHECK(path == "/etc/mcrelay/list.json");
    return R"j(["a", "@str(@int(1))"])j";
  };
  CHECK(preprocess_jsonm(json{{"x", "@import(list.json)"}, {"y", {{"type", "import"}, {"path", "list.json"}}}}, "c", o) ==
        json{{"x", {"a", "1"}}, {"y", {"a", "1"}}});
  CHECK(reads == 1);
}
