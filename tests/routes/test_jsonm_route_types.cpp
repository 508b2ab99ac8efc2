// JSONM object-form built-ins and macro types in route objects are refused as JSONM, not as unknown types.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

constexpr const char* kJsonm = "JSONM macros (@name(...), macros, import) are not supported yet";

std::string builtin_error(const std::string& path, const std::string& type) {
  return "test.json: " + path + ": " + kJsonm + ": \"type\": \"" + type + "\" is a JSONM built-in, not a route handle type";
}

}  // namespace

TEST_CASE("JSONM built-ins as a route's type are refused as JSONM", "[routes][factory][jsonm]") {
  CHECK(build_error(R"({"type": "if", "condition": true, "is_true": "PoolRoute|A", "is_false": "PoolRoute|B"})") ==
        builtin_error("route", "if"));
  for (const char* type : {"int", "str", "keys", "values", "merge", "select", "range", "split", "contains", "empty",
                           "equals", "less", "and", "or", "not", "size", "transform", "process", "slice", "sort",
                           "add", "sub", "mul", "div", "mod", "isArr", "isBool", "isInt", "isObj", "isString",
                           "defined", "fail", "import", "foreach", "define", "macroDef", "constDef", "bool",
                           "shuffle", "set", "hash", "isArray", "isObject"}) {
    CAPTURE(type);
    CHECK(build_error(std::string(R"({"type": ")") + type + R"("})") == builtin_error("route", type));
  }
}

TEST_CASE("JSONM: the path points at the built-in, wherever it is", "[routes][factory][jsonm]") {
  CHECK(build_error(R"({"type": "FailoverRoute",
                        "children": ["PoolRoute|A", {"type": "merge", "params": [["PoolRoute|B"], ["PoolRoute|C"]]}]})") ==
        builtin_error("route.children[1]", "merge"));
  CHECK(build_error(R"({"type": "OperationSelectorRoute",
                        "operation_policies": {"get": {"type": "select", "dictionary": {}, "key": "x"}}})") ==
        builtin_error("route.operation_policies.get", "select"));
  auto cfg_error = [](const std::string& text) {
    try {
      auto cfg = config::parse_config(text, "test.json");
      ScriptedProvider dests;
      RouteFactory f(cfg, dests);
      for (const auto& r : cfg.routes) f.build(r.route, r.json_path);
      f.build_unreferenced_named_handles();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(cfg_error(R"({"pools": {"A": {"servers": ["a:1"]}},
                      "named_handles": [{"name": "h", "type": "if", "condition": true}],
                      "route": "PoolRoute|A"})") == builtin_error("named_handles[0]", "if"));
}

TEST_CASE("JSONM: macro types starting with @ are refused as JSONM", "[routes][factory][jsonm]") {
  CHECK(build_error(R"({"type": "@pool_route", "pool": "A"})") ==
        std::string("test.json: route: ") + kJsonm + ": \"type\": \"@pool_route\" is a JSONM macro call, not a route handle type");
  CHECK(build_error(R"("@failover_pair")") ==
        std::string("test.json: route: ") + kJsonm + ": \"@failover_pair\" is a JSONM macro call, not a route");
  CHECK(build_error(R"({"type": "AllSyncRoute", "children": ["PoolRoute|A", "@replica"]})") ==
        std::string("test.json: route.children[1]: ") + kJsonm + ": \"@replica\" is a JSONM macro call, not a route");
}

TEST_CASE("JSONM: other unknown types keep the unknown-type error", "[routes][factory][jsonm]") {
  CHECK(build_error(R"({"type": "PolRoute", "pool": "A"})") ==
        "test.json: route: unknown route handle type \"PolRoute\"; did you mean \"PoolRoute\"?");
  CHECK(build_error(R"({"type": "If"})") == "test.json: route: unknown route handle type \"If\"");
  CHECK(build_error(R"({"type": "FrobnicateRoute"})").find("test.json: route: unknown route handle type \"FrobnicateRoute\"") ==
        0);
  CHECK(build_error(R"("unknown_name")") == "test.json: route: unknown route handle or name \"unknown_name\"");
}

TEST_CASE("JSONM: a registered handle type is never taken for a built-in", "[routes][factory][jsonm]") {
  // A registry that (hypothetically) registers "if" builds it; the JSONM check only applies to unknown types.
  RouteRegistry registry;
  register_builtin_routes(registry);
  registry.add("if", [](RouteFactory& f, const nlohmann::json& j, const std::string& path) {
    return f.build(f.require(j, "is_true", path), path + ".is_true");
  });
  auto cfg = config::parse_config(test_config_text(R"({"type": "if", "is_true": "PoolRoute|A"})"), "test.json");
  ScriptedProvider dests;
  RouteFactory f(cfg, dests, registry);
  auto root = f.build(cfg.routes.at(0).route, "route");
  CHECK(root->type() == "PoolRoute");
}
