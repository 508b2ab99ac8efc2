#include "protocol/request_writer.hpp"

#include "protocol/base64.hpp"
#include "protocol/lease_translation.hpp"
#include "protocol/numbers.hpp"

namespace mcrelay {

void append_retrieval_head(std::string& out, Op op, std::int64_t exptime) {
  out.append(op_name(op));
  if (op == Op::gat || op == Op::gats) {
    out.push_back(' ');
    append_decimal(out, exptime);
  }
}

void append_upstream_command(std::string& out, const Request& req, bool keep_routing_prefix) {
  std::string_view key = req.upstream_key(keep_routing_prefix);
  switch (req.op) {
    case Op::set: case Op::add: case Op::replace: case Op::append: case Op::prepend: case Op::cas:
      out.append(op_name(req.op));
      out.push_back(' ');
      out.append(key);
      out.push_back(' ');
      append_decimal(out, std::uint64_t{req.flags});
      out.push_back(' ');
      append_decimal(out, req.exptime);
      out.push_back(' ');
      append_decimal(out, std::uint64_t{req.value.size()});
      if (req.op == Op::cas) {
        out.push_back(' ');
        append_decimal(out, req.cas_unique);
      }
      out.append("\r\n");
      out.append(req.value);
      out.append("\r\n");
      return;
    case Op::delete_:
      out.append("delete ");
      out.append(key);
      out.append("\r\n");
      return;
    case Op::incr: case Op::decr:
      out.append(op_name(req.op));
      out.push_back(' ');
      out.append(key);
      out.push_back(' ');
      append_decimal(out, req.delta);
      out.append("\r\n");
      return;
    case Op::touch:
      out.append("touch ");
      out.append(key);
      out.push_back(' ');
      append_decimal(out, req.exptime);
      out.append("\r\n");
      return;
    case Op::flush_all:
      out.append("flush_all");
      if (!req.args.empty()) {
        out.push_back(' ');
        out.append(req.args);
      }
      out.append("\r\n");
      return;
    case Op::verbosity:
      out.append("verbosity ");
      out.append(req.args);
      out.append("\r\n");
      return;
    case Op::version:
      out.append("version\r\n");
      return;
    case Op::stats:  // `stats <group>` asked of every server (proxy/server_stats.hpp)
      out.append("stats");
      if (!req.args.empty()) {
        out.push_back(' ');
        out.append(req.args);
      }
      out.append("\r\n");
      return;
    case Op::get: case Op::gets: case Op::gat: case Op::gats:
      append_retrieval_head(out, req.op, req.exptime);
      append_upstream_key(out, key);
      out.append("\r\n");
      return;
    case Op::mg: case Op::ms: case Op::md: case Op::ma: case Op::me:
      out.append(op_name(req.op));
      out.push_back(' ');
      if (req.base64_key) {
        out.append(base64_encode(key));
      } else {
        out.append(key);
      }
      if (req.op == Op::ms) {
        out.push_back(' ');
        append_decimal(out, std::uint64_t{req.value.size()});
      }
      if (!req.args.empty()) {
        out.push_back(' ');
        out.append(req.args);
      }
      out.append("\r\n");
      if (req.op == Op::ms) {
        out.append(req.value);
        out.append(req.value_end.empty() ? std::string_view("\r\n") : std::string_view(req.value_end));
      }
      return;
    case Op::lease_get: case Op::lease_set: case Op::metaget:
      append_lease_upstream_command(out, req, keep_routing_prefix);
      return;
    default:
      // Local-only commands (quit, mn) never reach a destination.
      return;
  }
}

}  // namespace mcrelay
