#pragma once
// The one conversion from what RequestParser parsed (ParsedRequest: views into the client's buffer) to what
// routes carry (Request: owned strings, reference counted).
//
// Contract: pure functions, no I/O; called by the client pipeline (proxy/client_pipeline.hpp) on its worker
// thread, once per routed request (once per key of a multi-key get). Each operation copies exactly the fields
// its command has, so nothing left over from an earlier request of the same parser reaches a route.
#include <optional>
#include <string_view>

#include "protocol/request.hpp"
#include "protocol/request_parser.hpp"

namespace mcrelay {

// The request for `p`, with `key` as its key (a multi-key get passes each of p.keys in turn; every other
// command passes p.key). client_ip_hash: the client's address hash (OriginalClientHashRoute), when known.
RequestPtr make_request(const ParsedRequest& p, std::string_view key, std::optional<std::uint64_t> client_ip_hash);

// A set whose value was too large (p.invalidate_key set): the delete that drops the stale item, as memcached
// does. A key given in base64 (meta flag b) goes as `md <key> b`, which a classic delete could not carry.
RequestPtr make_invalidate_request(const ParsedRequest& p, std::optional<std::uint64_t> client_ip_hash);

}  // namespace mcrelay
