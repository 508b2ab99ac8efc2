#pragma once
// The replies the proxy makes itself instead of routing a request, as mcrouter does: a key over 250 bytes,
// an operation a flag refuses (--allow-only-gets), a routing prefix no route serves. docs/protocol.md
// ("Where mcrelay follows mcrouter") lists each case and why.
//
// Contract: called by a client session on its worker thread, once per routed request (per key of a
// multi-get), before routing. Reads the options and the worker's router; never blocks, never allocates
// unless it answers.
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class Router;
struct Options;

// flush_all without --enable-flush-cmd (mcrouter's precheck: a local error with this message).
inline constexpr std::string_view kFlushDisabled = "SERVER_ERROR Command disabled\r\n";
// `shutdown` without --enable-shutdown-cmd, and with a mode other than "graceful": memcached's words
// (mcrouter serves `shutdown` unconditionally; see docs/protocol.md).
inline constexpr std::string_view kShutdownDisabled = "ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kBadShutdownMode = "CLIENT_ERROR invalid shutdown mode\r\n";

// The reply to `shutdown [mode]`: a refusal, or "" when it is to be served (no reply; the caller starts the
// graceful drain).
std::string_view shutdown_reply(const Options& options, std::string_view mode) noexcept;

// Whether mcrouter counts `op` as get-like (routed under --allow-only-gets).
bool is_get_like(Op op) noexcept;

// The route for `req` (req.prefix_len set for it), or nullptr with `answer` set to the reply the client gets
// instead, in mcrouter's order: a key too long ("CLIENT_ERROR bad key"), --allow-only-gets (the operation's
// default reply: NOT_STORED for updates, NOT_FOUND otherwise), an unknown routing prefix ("SERVER_ERROR
// local error", unless --send-invalid-route-to-default).
// default_prefix: the route standing for the default one on this connection (twemproxy pool listeners); empty:
// the default route.
RouteHandle* route_or_answer(const Router& router, const Options& options, Request& req, Reply& answer,
                             std::string_view default_prefix = {});

// Routes `req`, or calls `done` at once with the proxy's own answer. Returns whether it was answered locally.
bool route_or_reply(const Router& router, const Options& options, const RequestPtr& req, ReplyFn done,
                    std::string_view default_prefix = {});

// mcrouter's ProxyRoute: a get-like request (get, gets, gat, gats, lease-get, metaget) whose route answered
// an error is answered as a miss unless --disable-miss-on-get-errors. Only for routed replies: the proxy's
// own refusals (unknown routing prefix, bad key) always reach the client, as in mcrouter.
void apply_miss_on_get_errors(const Options& options, Reply& reply) noexcept;

// mcrouter's ProxyRoute: incr/decr that fail (a server error, or no route for the key's prefix) answer
// NOT_FOUND unless --disable-miss-on-arith-errors.
void apply_miss_on_arith_errors(const Options& options, Op op, Reply& reply) noexcept;

}  // namespace mcrelay
