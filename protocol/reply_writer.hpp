#pragma once
// Serializes replies for the client (proxy -> client), byte for byte as memcached would write them.
// I/O-free; called by client sessions on their worker thread.
#include <string>
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

// The whole reply to a single-key, non-retrieval command (storage, delete, arith, touch, flush_all...).
void append_reply(std::string& out, Op op, const Reply& reply);

// One hit of a retrieval command ("VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n"); the client's key
// is used, so a routing prefix the server never saw comes back as the client sent it.
void append_value(std::string& out, Op op, std::string_view key, const Reply& reply);

// One key's part of a retrieval-like reply: VALUE for a hit of get/gets/gat/gats, VALUE or LVALUE for a
// lease-get, META for a metaget hit; nothing for a miss or an error. The caller ends the reply with END.
void append_item(std::string& out, Op op, std::string_view key, const Reply& reply);

// The reply to a meta command: the server's status line as it sent it (opaque, key and flags echoed by
// memcached), or, for a reply a route made itself (NullRoute, AllAsyncRoute), the bare status code.
void append_meta_reply(std::string& out, Op op, const Reply& reply);

// Whether quiet mode (flag q) hides this reply: memcached hides EN for mg, HD for ms and md, and
// the success (HD or VA) of ma; errors and other codes are always sent.
bool quiet_suppresses(Op op, const Reply& reply) noexcept;

// An error reply line for any command ("SERVER_ERROR <why>", "CLIENT_ERROR <why>", "ERROR").
void append_error(std::string& out, const Reply& reply);

}  // namespace mcrelay
