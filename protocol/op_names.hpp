#pragma once
// The names of the operations: one table (protocol/op_names.cpp) for every spelling mcrelay reads or writes,
// so the command words, mcrouter's operation names and mcrouter's stats groups cannot drift apart.
//
// Contract: pure functions over a constant table; any thread. op_name() itself is declared with Op in
// protocol/request.hpp.
#include <optional>
#include <span>
#include <string_view>

#include "protocol/request.hpp"

namespace mcrelay {

struct OpNames {
  std::string_view command;   // the word a client writes: "get", "flush_all", "mg", "lease-get"
  std::string_view mcrouter;  // mcrouter's operation name, as operation_policies and __mcrouter__.route spell
                              // it: "flushall", "metaget"; meta commands have their classic counterpart's
                              // (mg -> "get"); "" for mn (no policy selects it)
  std::string_view stats;     // mcrouter's per-command stats group: "flushall", "lease_get", or "other"
};

const OpNames& op_names(Op op) noexcept;

// mcrouter's operation name of `op` (OpNames::mcrouter).
inline std::string_view mcrouter_op_name(Op op) noexcept { return op_names(op).mcrouter; }
// mcrouter's stats group of `op` (OpNames::stats).
inline std::string_view mcrouter_stats_group(Op op) noexcept { return op_names(op).stats; }

// Every mcrouter operation name (the names operation_policies accepts), sorted, each once.
std::span<const std::string_view> mcrouter_op_names() noexcept;

// An operation as --route-key and __mcrouter__.route(<op>,<key>) take it: the command word ("get",
// "flush_all", "mg", ...) or mcrouter's operation name ("flushall", "metaget", ...). Where several ops share
// a mcrouter name ("get": get and mg), the command word's op. Empty for anything else.
std::optional<Op> parse_op_name(std::string_view name) noexcept;

}  // namespace mcrelay
