// parse_op_name (--route-key OP KEY, __mcrouter__.route(OP,KEY)): command words and mcrouter's operation
// names, the latter through OperationSelectorRoute's mapping.
#include <catch2/catch.hpp>

#include "proxy/loaded_config.hpp"
#include "proxy/route_lookup.hpp"
#include "routes/operation_selector_route.hpp"

using namespace mcrelay;

TEST_CASE("parse_op_name: the command words", "[route_lookup]") {
  for (int i = 0; i < kOpCount; ++i) {
    auto op = static_cast<Op>(i);
    CAPTURE(op_name(op));
    CHECK(parse_op_name(op_name(op)) == op);
  }
  CHECK(parse_op_name("delete") == Op::delete_);
  CHECK(parse_op_name("flush_all") == Op::flush_all);
  CHECK(parse_op_name("mg") == Op::mg);
}

TEST_CASE("parse_op_name: mcrouter's operation names map to the Op OperationSelectorRoute selects by them",
          "[route_lookup]") {
  CHECK(parse_op_name("flushall") == Op::flush_all);
  CHECK(parse_op_name("metaget") == Op::metaget);
  CHECK(parse_op_name("lease-get") == Op::lease_get);
  CHECK(parse_op_name("lease-set") == Op::lease_set);
  // Every name an Op's policy goes by is accepted, and gives an Op that goes by that name.
  for (int i = 0; i < kOpCount; ++i) {
    auto name = OperationSelectorRoute::policy_name(static_cast<Op>(i));
    if (name.empty()) continue;
    CAPTURE(name);
    auto op = parse_op_name(name);
    REQUIRE(op.has_value());
    CHECK(OperationSelectorRoute::policy_name(*op) == name);
  }
  // Shared names keep the classic command: "get" is get, not mg.
  CHECK(parse_op_name("get") == Op::get);
  CHECK(parse_op_name("set") == Op::set);
}

TEST_CASE("parse_op_name: no equivalent Op, no match", "[route_lookup]") {
  CHECK_FALSE(parse_op_name("lease_get").has_value());
  CHECK_FALSE(parse_op_name("").has_value());
  CHECK_FALSE(parse_op_name("GET").has_value());
  CHECK_FALSE(parse_op_name("flush").has_value());
  CHECK_FALSE(parse_op_name("bogus").has_value());
}

TEST_CASE("route_destinations: flushall and metaget reach their operation_policies", "[route_lookup]") {
  auto cfg = load_config_text(
      R"({"pools": {"A": {"servers": ["10.0.0.1:11211"]}, "B": {"servers": ["10.0.0.2:11211"]},
                    "C": {"servers": ["10.0.0.3:11211"]}},
          "route": {"type": "OperationSelectorRoute",
                    "operation_policies": {"flushall": "AllSyncRoute|Pool|B", "metaget": "PoolRoute|C"},
                    "default_policy": "PoolRoute|A"}})",
      "test.json", "/././");
  CHECK(route_destinations(*cfg, *parse_op_name("flushall"), "k") == std::vector<std::string>{"10.0.0.2:11211"});
  CHECK(route_destinations(*cfg, *parse_op_name("flush_all"), "k") == std::vector<std::string>{"10.0.0.2:11211"});
  CHECK(route_destinations(*cfg, *parse_op_name("metaget"), "k") == std::vector<std::string>{"10.0.0.3:11211"});
  CHECK(route_destinations(*cfg, *parse_op_name("get"), "k") == std::vector<std::string>{"10.0.0.1:11211"});
}
