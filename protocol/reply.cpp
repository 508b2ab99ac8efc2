#include "protocol/reply.hpp"

namespace mcrelay {

std::string_view result_name(Result r) noexcept {
  switch (r) {
    case Result::found: return "found";
    case Result::not_found: return "notfound";
    case Result::stored: return "stored";
    case Result::not_stored: return "notstored";
    case Result::exists: return "exists";
    case Result::deleted: return "deleted";
    case Result::touched: return "touched";
    case Result::ok: return "ok";
    case Result::remote_error: return "remote_error";
    case Result::client_error: return "client_error";
    case Result::bad_command: return "bad_command";
    case Result::local_error: return "local_error";
    case Result::connect_error: return "connect_error";
    case Result::connect_timeout: return "connect_timeout";
    case Result::timeout: return "timeout";
    case Result::tko: return "tko";
    case Result::busy: return "busy";
  }
  return "unknown";
}

Result meta_result(Op op, std::string_view code) noexcept {
  if (code == "EN" || code == "NF") return Result::not_found;
  if (code == "NS") return Result::not_stored;
  if (code == "EX") return Result::exists;
  if (code == "HD" || code == "VA" || code == "ME") {
    if (op == Op::ms) return Result::stored;
    if (op == Op::md) return Result::deleted;
    return Result::found;
  }
  return Result::remote_error;
}

}  // namespace mcrelay
