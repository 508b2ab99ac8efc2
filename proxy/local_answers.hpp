#pragma once
// The replies the proxy makes itself, as the proxy's command line asks for them. The rules themselves (a key
// over 250 bytes, --allow-only-gets, an unknown routing prefix, miss on get/arith errors, the flush_all
// precheck) live in the root route (routes/root_route.hpp); this file turns Options into its RootSettings,
// keeps the miss-rule forwarders the client pipeline applies to each routed reply, and holds the `shutdown`
// precheck, which is the proxy's own (it stops the process, nothing is routed). docs/protocol.md ("Where
// mcrelay follows mcrouter") lists each case and why.
//
// Contract: root_settings() when a worker builds its root route; the rest by a client pipeline on its
// worker thread. Reads the options only; never blocks, never allocates.
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"
#include "routes/root_route.hpp"

namespace mcrelay {

struct Options;
using Router = RootRoute;

// flush_all without --enable-flush-cmd (mcrouter's precheck: a local error with this message).
inline constexpr std::string_view kFlushDisabled = "SERVER_ERROR Command disabled\r\n";
// `shutdown` without --enable-shutdown-cmd, and with a mode other than "graceful": memcached's words
// (mcrouter serves `shutdown` unconditionally; see docs/protocol.md).
inline constexpr std::string_view kShutdownDisabled = "ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kBadShutdownMode = "CLIENT_ERROR invalid shutdown mode\r\n";

// The root route's settings from the command line; `route_prefix`: the config's default routing prefix.
RootSettings root_settings(const Options& options, std::string route_prefix = {});

// The reply to `shutdown [mode]`: a refusal, or "" when it is to be served (no reply; the caller starts the
// graceful drain).
std::string_view shutdown_reply(const Options& options, std::string_view mode) noexcept;

// The root route's miss rules with the settings of `options` (routes/root_route.hpp).
void apply_miss_on_get_errors(const Options& options, Reply& reply) noexcept;
void apply_miss_on_arith_errors(const Options& options, Op op, Reply& reply) noexcept;

}  // namespace mcrelay
