#include "proxy/protocol/reply_writer.hpp"

#include "proxy/protocol/numbers.hpp"

namespace mcrelay {

void append_error(std::string& out, const Reply& reply) {
  switch (reply.result) {
    case Result::bad_command:
      out.append("ERROR\r\n");
      return;
    case Result::client_error:
      out.append("CLIENT_ERROR ");
      break;
    default:
      out.append("SERVER_ERROR ");
      break;
  }
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

void append_reply(std::string& out, Op op, const Reply& reply) {
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

}  // namespace mcrelay
