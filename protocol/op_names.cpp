#include "protocol/op_names.hpp"

#include <algorithm>
#include <array>

namespace mcrelay {

namespace {

// By Op, in the enum's order (checked below).
constexpr std::array<OpNames, kOpCount> kNames = {{
    {"get", "get", "get"},
    {"gets", "gets", "gets"},
    {"gat", "gat", "gat"},
    {"gats", "gats", "gats"},
    {"set", "set", "set"},
    {"add", "add", "add"},
    {"replace", "replace", "replace"},
    {"append", "append", "append"},
    {"prepend", "prepend", "prepend"},
    {"cas", "cas", "cas"},
    {"delete", "delete", "delete"},
    {"incr", "incr", "incr"},
    {"decr", "decr", "decr"},
    {"touch", "touch", "touch"},
    {"flush_all", "flushall", "flushall"},
    {"version", "version", "other"},
    {"verbosity", "verbosity", "other"},
    {"stats", "stats", "stats"},
    {"quit", "quit", "other"},
    {"mg", "get", "other"},
    {"ms", "set", "other"},
    {"md", "delete", "other"},
    {"ma", "incr", "other"},
    {"mn", "", "other"},
    {"me", "metaget", "other"},
    {"lease-get", "lease-get", "lease_get"},
    {"lease-set", "lease-set", "lease_set"},
    {"metaget", "metaget", "metaget"},
}};

static_assert(kNames[static_cast<int>(Op::flush_all)].command == "flush_all");
static_assert(kNames[static_cast<int>(Op::mg)].command == "mg");
static_assert(kNames[static_cast<int>(Op::mn)].command == "mn");
static_assert(kNames[static_cast<int>(Op::lease_get)].command == "lease-get");
static_assert(kNames[static_cast<int>(Op::metaget)].command == "metaget");

}  // namespace

const OpNames& op_names(Op op) noexcept {
  auto i = static_cast<std::size_t>(op);
  return i < kNames.size() ? kNames[i] : kNames.back();
}

std::string_view op_name(Op op) noexcept {
  auto i = static_cast<std::size_t>(op);
  return i < kNames.size() ? kNames[i].command : std::string_view("unknown");
}

std::span<const std::string_view> mcrouter_op_names() noexcept {
  static const auto names = [] {
    std::array<std::string_view, kOpCount> all{};
    std::size_t n = 0;
    for (const auto& e : kNames) {
      if (!e.mcrouter.empty()) all[n++] = e.mcrouter;
    }
    std::sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    n = static_cast<std::size_t>(std::unique(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)) - all.begin());
    return std::pair(all, n);
  }();
  return std::span<const std::string_view>(names.first.data(), names.second);
}

std::optional<Op> parse_op_name(std::string_view name) noexcept {
  if (name.empty()) return std::nullopt;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i].command == name) return static_cast<Op>(i);
  }
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i].mcrouter == name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

}  // namespace mcrelay
