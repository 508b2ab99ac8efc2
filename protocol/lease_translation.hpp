#pragma once
// Lease translation: mcrouter's `lease-get`, `lease-set` and `metaget` served by stock memcached through
// its meta commands (memcached has no lease commands of its own; FB's memcached, which mcrouter fronts,
// does).
//
//   lease-get <key>      -> mg <key> v f c N<kLeaseHoldSeconds>
//   lease-set <key> <token> <flags> <exptime> <bytes>
//                        -> ms <key> <bytes> C<token - 1> F<flags> T<exptime>
//   metaget <key>        -> mg <key> s t
//
// A lease is memcached's vivified placeholder: the first lease-get of a missing key creates an empty item
// and is told it won (flag W); the item's CAS is the lease. Later lease-gets see Z (someone else holds
// the lease: mcrouter's hot miss, token 1) until the winner's lease-set replaces the placeholder, which
// memcached only does while the CAS still matches. Tokens are CAS + 1, so 0 (no lease) and 1 (hot miss)
// never name a lease even on a fresh memcached whose first CAS is 1. docs/protocol.md "Leases and
// metaget" lists the mapping and its limits.
//
// Contract: I/O-free functions, called on worker threads: the upstream writer (request side), the
// upstream connection (turning the server's meta status line into a Reply), and the client session
// (writing mcrouter's reply text). Replies a route made itself (NullRoute, errors) carry no meta line and
// are written from their Result alone, as mcrouter writes its own default replies.
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

// How long a lease holds off other lease-gets when its winner never sets (memcached drops the
// placeholder then, and the next lease-get wins a new lease).
inline constexpr int kLeaseHoldSeconds = 10;

// mcrouter's token for "another client holds the lease: wait and retry".
inline constexpr std::uint64_t kHotMissToken = 1;

inline bool is_lease_op(Op op) noexcept {
  return op == Op::lease_get || op == Op::lease_set || op == Op::metaget;
}

// The meta command for a lease-get, lease-set or metaget request, as sent to memcached.
void append_lease_upstream_command(std::string& out, const Request& req, bool keep_routing_prefix);

// Turns a server's meta reply to one of these ops into mcrouter's outcome, in place: `reply.meta_line`
// holds the status line and `reply.value` the data of a VA. Sets result, flags, cas (lease-get: the
// client's lease token), exptime (metaget: absolute, 0 for never; `now_unix` is the wall clock) and
// clears meta_line. Errors (SERVER_ERROR...) are left as they are.
void translate_lease_reply(Op op, Reply& reply, std::int64_t now_unix);

// One key's part of a lease-get reply: "VALUE <key> <flags> <bytes>" on a hit, "LVALUE <key> <token>
// <flags> <bytes>" (stale or empty data) on a miss; nothing for an error. The caller appends END.
void append_lease_get_item(std::string& out, std::string_view key, const Reply& reply);

// One key's part of a metaget reply: "META <key> age: unknown; exptime: <t>; from: <ip>; is_transient: 0"
// on a hit (reply.value holds the server's address); nothing otherwise. The caller appends END.
void append_metaget_item(std::string& out, std::string_view key, const Reply& reply);

// The whole reply to a lease-set: STORED, STALE_STORED (the token lost), NOT_STORED, or an error line.
void append_lease_set_reply(std::string& out, const Reply& reply);

}  // namespace mcrelay
