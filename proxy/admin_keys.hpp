#pragma once
// Admin keys: `get __mcrouter__.<command>[(<args>)]` answered by the proxy itself, as mcrouter's ServiceInfo
// answers it, so the tools and habits operators have keep working: version, config, config_age, config_file,
// config_md5_digest, config_sources_info, preprocessed_config, options, options(<name>), hostid,
// verbosity[(<level>)], route(<op>,<key>) (the destinations a request would reach, one per line) and
// route_handles(<op>,<key>) (the route handles it would pass through). The answer is always a hit; a
// command that fails, or one mcrelay does not know, answers "ERROR: <why>" as mcrouter does.
//
// Contract: called on a worker thread, before routing a retrieval key: by the root route through
// WorkerAdminKeys (the AdminKeyHandler of routes/admin_key_handler.hpp), or by client sessions directly.
#include <string_view>

#include "protocol/reply.hpp"
#include "routes/admin_key_handler.hpp"

namespace mcrelay {

class Worker;

// Returns false when `key` is not an admin key (route it normally). Otherwise fills `out` with a hit: the
// answer, or "ERROR: ..." when the command fails or is unknown.
bool answer_admin_key(std::string_view key, Worker& worker, Reply& out);

// The root route's admin keys on one worker (built with the worker's root route, on its thread).
class WorkerAdminKeys final : public AdminKeyHandler {
 public:
  explicit WorkerAdminKeys(Worker& worker) : worker_(worker) {}
  bool answer(std::string_view key, Reply& out) override { return answer_admin_key(key, worker_, out); }

 private:
  Worker& worker_;
};

}  // namespace mcrelay
