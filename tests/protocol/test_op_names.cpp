// protocol/op_names.hpp: the one table of operation names (command words, mcrouter's operation names and
// stats groups).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/op_names.hpp"

using namespace mcrelay;

TEST_CASE("op names: every command word parses back to its op", "[op_names]") {
  for (int i = 0; i < kOpCount; ++i) {
    auto op = static_cast<Op>(i);
    CAPTURE(op_name(op));
    CHECK(op_names(op).command == op_name(op));
    CHECK(parse_op_name(op_name(op)) == op);
    CHECK_FALSE(op_names(op).stats.empty());
  }
}

TEST_CASE("op names: mcrouter's operation names, as operation_policies accepts them", "[op_names]") {
  auto names = mcrouter_op_names();
  // mcrouter's list (its McOpList names that have an ASCII command), sorted.
  std::vector<std::string_view> expected = {"add", "append", "cas", "decr", "delete", "flushall", "gat", "gats",
                                            "get", "gets", "incr", "lease-get", "lease-set", "metaget", "prepend",
                                            "quit", "replace", "set", "stats", "touch", "verbosity", "version"};
  CHECK(std::vector<std::string_view>(names.begin(), names.end()) == expected);
  CHECK(mcrouter_op_name(Op::flush_all) == "flushall");
  CHECK(mcrouter_op_name(Op::mg) == "get");
  CHECK(mcrouter_op_name(Op::me) == "metaget");
  CHECK(mcrouter_op_name(Op::mn).empty());
  // A mcrouter name parses to the op whose command word it is, else to the first op that has it.
  CHECK(parse_op_name("get") == Op::get);
  CHECK(parse_op_name("flushall") == Op::flush_all);
  CHECK(parse_op_name("metaget") == Op::metaget);
  CHECK_FALSE(parse_op_name("lease_get").has_value());  // a stats group, not an operation name
  CHECK_FALSE(parse_op_name("").has_value());
  CHECK_FALSE(parse_op_name("GET").has_value());
}

TEST_CASE("op names: mcrouter's stats groups", "[op_names]") {
  CHECK(mcrouter_stats_group(Op::get) == "get");
  CHECK(mcrouter_stats_group(Op::flush_all) == "flushall");
  CHECK(mcrouter_stats_group(Op::lease_get) == "lease_get");
  CHECK(mcrouter_stats_group(Op::lease_set) == "lease_set");
  CHECK(mcrouter_stats_group(Op::metaget) == "metaget");
  CHECK(mcrouter_stats_group(Op::stats) == "stats");
  for (Op op : {Op::version, Op::verbosity, Op::quit, Op::mg, Op::ms, Op::md, Op::ma, Op::mn, Op::me}) {
    CAPTURE(op_name(op));
    CHECK(mcrouter_stats_group(op) == "other");
  }
}
