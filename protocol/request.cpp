#include "protocol/request.hpp"

namespace mcrelay {

std::string_view op_name(Op op) noexcept {
  switch (op) {
    case Op::get: return "get";
    case Op::gets: return "gets";
    case Op::gat: return "gat";
    case Op::gats: return "gats";
    case Op::set: return "set";
    case Op::add: return "add";
    case Op::replace: return "replace";
    case Op::append: return "append";
    case Op::prepend: return "prepend";
    case Op::cas: return "cas";
    case Op::delete_: return "delete";
    case Op::incr: return "incr";
    case Op::decr: return "decr";
    case Op::touch: return "touch";
    case Op::flush_all: return "flush_all";
    case Op::version: return "version";
    case Op::verbosity: return "verbosity";
    case Op::stats: return "stats";
    case Op::quit: return "quit";
    case Op::mg: return "mg";
    case Op::ms: return "ms";
    case Op::md: return "md";
    case Op::ma: return "ma";
    case Op::mn: return "mn";
    case Op::me: return "me";
    case Op::lease_get: return "lease-get";
    case Op::lease_set: return "lease-set";
    case Op::metaget: return "metaget";
  }
  return "unknown";
}

OpKind op_kind(Op op) noexcept {
  switch (op) {
    case Op::get: case Op::gets: case Op::gat: case Op::gats: case Op::mg: case Op::me:
    case Op::lease_get: case Op::metaget:
      return OpKind::get;
    case Op::set: case Op::add: case Op::replace: case Op::append: case Op::prepend: case Op::cas: case Op::ms:
    case Op::lease_set:
      return OpKind::update;
    case Op::delete_: case Op::md:
      return OpKind::del;
    case Op::incr: case Op::decr: case Op::ma:
      return OpKind::arith;
    case Op::touch:
      return OpKind::touch;
    default:
      return OpKind::other;
  }
}

std::size_t routing_prefix_length(std::string_view key) noexcept {
  if (key.empty() || key[0] != '/') return 0;
  auto second = key.find('/', 1);
  if (second == std::string_view::npos) return 0;
  auto third = key.find('/', second + 1);
  if (third == std::string_view::npos) return 0;
  return third + 1;
}

}  // namespace mcrelay
