#pragma once
// Helpers shared by the route handles in routes/ (FailoverRoute, the All*Route family, the selectors, ...).
//
// Contract: the config helpers (check_keys, get_int, build_route_list) are called from build() at config
// load, on the thread building the tree, and throw config::ConfigError through RouteFactory::fail(). The
// data-path helpers (default_reply, is_hit_result, has_exptime, clone_request, ignore_reply) run on the
// owning worker thread and never throw (beyond std::bad_alloc).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

// --- config load (may throw ConfigError) -----------------------------------------------------------------

// The unknown-key policy (config/suggest.hpp misspelt_key) for the handle object `j`, whose keys are
// "type", "name" and `allowed`: a key that misspells one of them is an error
// "<path>: unknown key "chidren" in FailoverRoute (did you mean "children"?)"; any other unknown key is
// ignored, as mcrouter ignores it, with a warning (RouteFactory::warn):
// "<path>: unknown key "x" in FailoverRoute ignored (known keys: children, ...)".
void check_keys(const RouteFactory& f, const nlohmann::json& j, const std::string& path, std::string_view type,
                std::initializer_list<std::string_view> allowed);

// A signed integer field in [min, max], or `fallback` when absent.
std::int64_t get_int(const RouteFactory& f, const nlohmann::json& j, std::string_view field, const std::string& path,
                     std::int64_t fallback, std::int64_t min, std::int64_t max);

// A list of routes as mcrouter's createList() reads it: a JSON list, "Pool|NAME", or one route (string or
// object). `path` is the path of `j` itself.
std::vector<RouteHandlePtr> build_route_list(RouteFactory& f, const nlohmann::json& j, const std::string& path);

// --- data path (no exceptions) ---------------------------------------------------------------------------

// The "nothing happened" reply NullRoute gives (and mcrouter's DefaultReply): NOT_STORED for updates,
// OK for flush_all/verbosity/..., NOT_FOUND (a miss) for everything else.
Reply default_reply(Op op) noexcept;

// mcrouter's isHitResult: the data was there (get hit, delete removed it, touch found it).
inline bool is_hit_result(Result r) noexcept {
  return r == Result::found || r == Result::deleted || r == Result::touched;
}

// Requests that carry an exptime a route may rewrite: classic storage commands, lease-set, touch, gat and
// gats. (Meta commands carry theirs in flags, which routes do not rewrite.)
inline bool has_exptime(Op op) noexcept {
  return is_storage(op) || op == Op::lease_set || op == Op::touch || op == Op::gat || op == Op::gats;
}

// A fresh copy of `r` (Requests are shared by fan-out routes and are never modified in place).
RequestPtr clone_request(const Request& r);

// A new request for `key`, its routing prefix length computed (for the extra keys a route makes itself:
// chunk keys, index keys).
RequestPtr make_keyed_request(Op op, std::string key);

// A new request for the same key as `like` (its routing prefix kept): a route's own get or metaget of the
// key it was asked for.
RequestPtr make_request_for(Op op, const Request& like);

// A storage request (set/add...) of `value` under `like`'s key: a route writing what it read elsewhere
// (WarmUpRoute's add, L1L2CacheRoute's L1 updates).
RequestPtr make_store_request(Op op, const Request& like, std::uint32_t flags, std::int64_t exptime,
                              std::string value);

// A reply callback for requests whose outcome nobody waits for (background sends).
inline ReplyFn ignore_reply() {
  return [](Reply&&) {};
}

}  // namespace mcrelay
