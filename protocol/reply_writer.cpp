#include "protocol/reply_writer.hpp"

#include "protocol/lease_translation.hpp"
#include "protocol/numbers.hpp"

namespace mcrelay {

namespace {

// mcrouter's line for an error that carries no message (AsciiSerializedReply's errorResultStr): a server's
// bare "CLIENT_ERROR" stays bare, with no space added.
std::string_view bare_error_line(Result r) noexcept {
  switch (r) {
    case Result::client_error: return "CLIENT_ERROR\r\n";
    case Result::remote_error: return "SERVER_ERROR remote error\r\n";
    case Result::connect_error: return "SERVER_ERROR connection error\r\n";
    case Result::connect_timeout: return "SERVER_ERROR connection timeout\r\n";
    case Result::timeout: return "SERVER_ERROR timeout\r\n";
    case Result::tko: return "SERVER_ERROR unavailable\r\n";
    case Result::busy: return "SERVER_ERROR 307 busy\r\n";
    default: return "SERVER_ERROR local error\r\n";
  }
}

}  // namespace

void append_error(std::string& out, const Reply& reply) {
  if (reply.result == Result::bad_command) {
    out.append("ERROR\r\n");
    return;
  }
  if (reply.value.empty()) {
    out.append(bare_error_line(reply.result));
    return;
  }
  out.append(reply.result == Result::client_error ? "CLIENT_ERROR " : "SERVER_ERROR ");
  out.append(reply.value);
  out.append("\r\n");
}

void append_value(std::string& out, Op op, std::string_view key, const Reply& reply) {
  out.append("VALUE ");
  out.append(key);
  out.push_back(' ');
  append_decimal(out, std::uint64_t{reply.flags});
  out.push_back(' ');
  append_decimal(out, std::uint64_t{reply.value.size()});
  if (op == Op::gets || op == Op::gats) {
    out.push_back(' ');
    append_decimal(out, reply.cas);
  }
  out.append("\r\n");
  out.append(reply.value);
  out.append("\r\n");
}

void append_item(std::string& out, Op op, std::string_view key, const Reply& reply) {
  switch (op) {
    case Op::lease_get: append_lease_get_item(out, key, reply); return;
    case Op::metaget: append_metaget_item(out, key, reply); return;
    default:
      if (is_hit(reply.result)) append_value(out, op, key, reply);
      return;
  }
}

void append_reply(std::string& out, Op op, const Reply& reply) {
  if (op == Op::lease_set) {
    append_lease_set_reply(out, reply);
    return;
  }
  if (is_error(reply.result)) {
    append_error(out, reply);
    return;
  }
  switch (reply.result) {
    case Result::stored: out.append("STORED\r\n"); return;
    case Result::not_stored: out.append("NOT_STORED\r\n"); return;
    case Result::exists: out.append("EXISTS\r\n"); return;
    case Result::not_found: out.append("NOT_FOUND\r\n"); return;
    case Result::deleted: out.append("DELETED\r\n"); return;
    case Result::touched: out.append("TOUCHED\r\n"); return;
    case Result::ok: out.append("OK\r\n"); return;
    case Result::found:
      if (op == Op::incr || op == Op::decr) {
        out.append(reply.value);
        out.append("\r\n");
        return;
      }
      break;
    default:
      break;
  }
  // A route produced a result that has no wire form for this command (a misconfigured tree, e.g. a
  // get-only handle under a set): say so rather than send something a client would misread.
  out.append("SERVER_ERROR unexpected reply for ");
  out.append(op_name(op));
  out.append("\r\n");
}

void append_meta_reply(std::string& out, Op op, const Reply& reply) {
  if (is_error(reply.result)) {
    append_error(out, reply);
    return;
  }
  if (!reply.meta_line.empty()) {
    out.append(reply.meta_line);
    out.append("\r\n");
    if (reply.meta_line.starts_with("VA")) {
      out.append(reply.value);
      out.append("\r\n");
    }
    return;
  }
  std::string_view code = "SERVER_ERROR unexpected reply";
  switch (reply.result) {
    case Result::found: case Result::stored: case Result::deleted: case Result::touched: case Result::ok:
      code = "HD";
      break;
    case Result::not_found:
      code = (op == Op::mg || op == Op::me) ? "EN" : "NF";
      break;
    case Result::not_stored: code = "NS"; break;
    case Result::exists: code = "EX"; break;
    default: break;
  }
  out.append(code);
  out.append("\r\n");
}

bool quiet_suppresses(Op op, const Reply& reply) noexcept {
  switch (op) {
    case Op::mg: return reply.result == Result::not_found;
    case Op::ms: return reply.result == Result::stored;
    case Op::md: return reply.result == Result::deleted;
    case Op::ma: return reply.result == Result::found;
    default: return false;
  }
}

}  // namespace mcrelay
