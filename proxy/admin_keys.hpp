#pragma once
// Admin keys: `get __mcrouter__.<name>` answered by the proxy itself, as mcrouter does, so the tools and
// habits operators have keep working: version, config_file, config_md5_digest, config_age, options, and
// route(<op>,<key>) (the destinations a request would reach, one per line).
//
// Contract: called by client sessions on their worker thread, before routing a retrieval key.
#include <string_view>

#include "proxy/protocol/reply.hpp"

namespace mcrelay {

class Worker;

inline constexpr std::string_view kAdminKeyPrefix = "__mcrouter__.";

// Returns false when `key` is not an admin key (route it normally). Otherwise fills `out`: a hit with the
// answer, or a miss for an admin key mcrelay does not know.
bool answer_admin_key(std::string_view key, Worker& worker, Reply& out);

}  // namespace mcrelay
