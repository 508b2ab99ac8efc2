#include "protocol/lease_translation.hpp"

#include "protocol/numbers.hpp"
#include "protocol/reply_writer.hpp"

namespace mcrelay {
namespace {

// The return flags of a meta status line that the translation reads.
struct MetaFlags {
  std::uint32_t client_flags = 0;  // f
  std::uint64_t cas = 0;           // c
  std::int64_t ttl = -1;           // t: seconds left, -1 for never
  std::uint64_t size = 0;          // s
  bool won = false;                // W: this client must recache (the lease is its)
  bool lease_sent = false;         // Z: a win was already handed out (someone else holds the lease)
  bool stale = false;              // X: the item was invalidated
};

MetaFlags parse_flags(std::string_view line) {
  MetaFlags m;
  std::size_t pos = line.size() > 2 ? 3 : line.size();  // past the code and its space
  if (line.starts_with("VA")) {  // VA <size> <flags>: skip the size
    auto sp = line.find(' ', pos);
    pos = sp == std::string_view::npos ? line.size() : sp + 1;
  }
  while (pos < line.size()) {
    auto sp = line.find(' ', pos);
    std::string_view tok = line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    pos = sp == std::string_view::npos ? line.size() : sp + 1;
    if (tok.empty()) continue;
    std::string_view arg = tok.substr(1);
    switch (tok[0]) {
      case 'f': parse_u32_like_memcached(arg, m.client_flags); break;
      case 'c': parse_u64_like_memcached(arg, m.cas); break;
      case 's': parse_u64_like_memcached(arg, m.size); break;
      case 't': {
        std::int32_t t = -1;
        if (parse_i32_like_memcached(arg, t)) m.ttl = t;
        break;
      }
      case 'W': m.won = true; break;
      case 'Z': m.lease_sent = true; break;
      case 'X': m.stale = true; break;
      default: break;
    }
  }
  return m;
}

}  // namespace

void append_lease_upstream_command(std::string& out, const Request& req, bool keep_routing_prefix) {
  std::string_view key = req.upstream_key(keep_routing_prefix);
  switch (req.op) {
    case Op::lease_get:
      // v f c: the value, its client flags and its CAS (the lease); N vivifies a missing key into the
      // placeholder that is the lease.
      out.append("mg ");
      out.append(key);
      out.append(" v f c N");
      append_decimal(out, std::int64_t{kLeaseHoldSeconds});
      out.append("\r\n");
      return;
    case Op::lease_set:
      // The store happens only while the placeholder (or the item) still has the lease's CAS. Tokens 0
      // and 1 never name a lease: C0 matches no item while memcached keeps CAS values.
      out.append("ms ");
      out.append(key);
      out.push_back(' ');
      append_decimal(out, std::uint64_t{req.value.size()});
      out.append(" C");
      append_decimal(out, req.cas_unique > kHotMissToken ? req.cas_unique - 1 : std::uint64_t{0});
      out.append(" F");
      append_decimal(out, std::uint64_t{req.flags});
      out.append(" T");
      append_decimal(out, req.exptime);
      out.append("\r\n");
      out.append(req.value);
      out.append("\r\n");
      return;
    case Op::metaget:
      // s t: the size tells a lease placeholder (empty, Z) from an item; t the seconds left.
      out.append("mg ");
      out.append(key);
      out.append(" s t\r\n");
      return;
    default:
      return;
  }
}

void translate_lease_reply(Op op, Reply& reply, std::int64_t now_unix) {
  if (reply.meta_line.empty() || is_error(reply.result)) return;
  std::string_view line = reply.meta_line;
  std::string_view code = line.substr(0, 2);
  MetaFlags m = parse_flags(line);
  const bool item = code == "VA" || code == "HD";
  switch (op) {
    case Op::lease_get:
      if (item) {
        reply.flags = m.client_flags;
        if (!m.won && !m.lease_sent && !m.stale) {
          reply.result = Result::found;
          reply.cas = 0;
        } else {
          // A miss: ours to fill (W) with a fresh token, or someone else's (hot miss). A stale item's
          // data comes along, as mcrouter's LVALUE carries it. Without CAS (memcached -C) no lease can
          // be checked: every miss is hot.
          reply.result = Result::not_found;
          reply.cas = m.won && m.cas != 0 ? m.cas + 1 : kHotMissToken;
        }
      } else if (code == "EN") {
        // No placeholder was made (N is always sent; defensive): nobody holds a lease, retry.
        reply.result = Result::not_found;
        reply.cas = kHotMissToken;
      } else {
        reply = Reply::error(Result::remote_error, "unexpected reply to lease-get");
        return;
      }
      break;
    case Op::lease_set:
      if (code == "HD") reply.result = Result::stored;
      else if (code == "EX") reply.result = Result::exists;  // the token lost: written as STALE_STORED
      else if (code == "NF" || code == "NS") reply.result = Result::not_stored;
      else {
        reply = Reply::error(Result::remote_error, "unexpected reply to lease-set");
        return;
      }
      break;
    case Op::metaget:
      if (item) {
        // An invalidated item or a lease placeholder is no item to mcrouter (FB's memcached keeps both
        // out of its cache until a lease-set lands).
        bool placeholder = (m.won || m.lease_sent) && m.size == 0;
        reply.result = m.stale || placeholder ? Result::not_found : Result::found;
        reply.exptime = m.ttl < 0 ? 0 : now_unix + m.ttl;
      } else if (code == "EN") {
        reply.result = Result::not_found;
      } else {
        reply = Reply::error(Result::remote_error, "unexpected reply to metaget");
        return;
      }
      reply.value.clear();
      break;
    default:
      return;
  }
  reply.meta_line.clear();
}

void append_lease_get_item(std::string& out, std::string_view key, const Reply& reply) {
  if (reply.result != Result::found && reply.result != Result::not_found) return;
  const bool hit = reply.result == Result::found;
  out.append(hit ? "VALUE " : "LVALUE ");
  out.append(key);
  out.push_back(' ');
  if (!hit) {
    append_decimal(out, reply.cas);
    out.push_back(' ');
  }
  append_decimal(out, std::uint64_t{reply.flags});
  out.push_back(' ');
  append_decimal(out, std::uint64_t{reply.value.size()});
  out.append("\r\n");
  out.append(reply.value);
  out.append("\r\n");
}

void append_metaget_item(std::string& out, std::string_view key, const Reply& reply) {
  if (reply.result != Result::found) return;
  out.append("META ");
  out.append(key);
  out.append(" age: unknown; exptime: ");
  append_decimal(out, reply.exptime);
  out.append("; from: ");
  out.append(reply.value.empty() ? std::string_view("unknown") : std::string_view(reply.value));
  out.append("; is_transient: 0\r\n");
}

void append_lease_set_reply(std::string& out, const Reply& reply) {
  if (is_error(reply.result)) {
    append_error(out, reply);
    return;
  }
  switch (reply.result) {
    case Result::stored: out.append("STORED\r\n"); return;
    case Result::exists: out.append("STALE_STORED\r\n"); return;
    case Result::not_stored: out.append("NOT_STORED\r\n"); return;
    case Result::not_found: out.append("NOT_FOUND\r\n"); return;
    default:
      out.append("SERVER_ERROR unexpected reply for lease-set\r\n");
      return;
  }
}

}  // namespace mcrelay
