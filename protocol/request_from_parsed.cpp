#include "protocol/request_from_parsed.hpp"

namespace mcrelay {
namespace {

RequestPtr bare_request(Op op, std::string_view key, std::optional<std::uint64_t> client_ip_hash) {
  auto req = make_ref<Request>();
  req->op = op;
  req->key.assign(key);
  if (client_ip_hash) {
    req->has_client_ip = true;
    req->client_ip_hash = *client_ip_hash;
  }
  return req;
}

}  // namespace

RequestPtr make_request(const ParsedRequest& p, std::string_view key, std::optional<std::uint64_t> client_ip_hash) {
  RequestPtr req = bare_request(p.op, key, client_ip_hash);
  switch (p.op) {
    case Op::get: case Op::gets: case Op::gat: case Op::gats: case Op::lease_get: case Op::metaget:
      req->exptime = p.exptime;  // gat/gats; 0 for the others
      break;
    case Op::flush_all:
      req->args.assign(p.args);
      req->noreply = p.noreply;
      break;
    case Op::mg: case Op::ms: case Op::md: case Op::ma: case Op::me:
      // The key is the decoded one for flag b: that is what is routed. Quiet mode is the proxy's job, so the
      // flags forwarded are those without q.
      req->base64_key = p.base64_key;
      req->args = p.meta_flags;
      if (p.op == Op::ms) {
        req->value.assign(p.value);
        req->value_end.assign(p.value_end);
      }
      break;
    default:  // single-key classic commands: storage, delete, incr/decr, touch, lease-set
      req->noreply = p.noreply;
      req->flags = p.flags;
      req->exptime = p.exptime;
      req->cas_unique = p.cas_unique;
      req->delta = p.delta;
      if (is_storage(p.op) || p.op == Op::lease_set) req->value.assign(p.value);
      break;
  }
  return req;
}

RequestPtr make_invalidate_request(const ParsedRequest& p, std::optional<std::uint64_t> client_ip_hash) {
  RequestPtr del = bare_request(p.base64_key ? Op::md : Op::delete_, p.invalidate_key, client_ip_hash);
  if (p.base64_key) {
    del->base64_key = true;
    del->args = "b";
  }
  return del;
}

}  // namespace mcrelay
