#include "protocol/request.hpp"

namespace mcrelay {

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
