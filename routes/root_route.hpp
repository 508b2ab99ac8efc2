#pragma once
// RootRoute: the top of one worker's routing (mcrouter's ProxyRoute and RootRoute in one object). A client
// session hands it every request it routes; it owns what happens before and after the route trees:
//   - the choice of tree by the key's routing prefix ("/region/cluster/"), with the default route for keys
//     without one and, on a twemproxy pool's own listener, that pool's route in its place;
//   - the replies the proxy makes itself instead of routing (mcrouter's order): a key over 250 bytes, an
//     operation --allow-only-gets refuses, a routing prefix that names no route, flush_all without
//     --enable-flush-cmd;
//   - the admin keys (`get __mcrouter__.*`), through an AdminKeyHandler the proxy supplies;
//   - the broadcast of flush_all to every tree (mcrouter's ProxyRoute sends it to every server);
//   - on the way back, mcrouter's miss_on_get_errors and miss-on-arith-errors rules.
// docs/protocol.md ("Where mcrelay follows mcrouter") lists each local answer and why.
//
// Contract: built on the worker thread that uses it (its leaves are that worker's destinations), or on any
// thread over NamedDestinations (routes/named_destination.hpp) to validate a config or look a key up. The
// constructor throws config::ConfigError; everything else never throws. route() calls `done` exactly once,
// on the owning thread; a local answer is delivered before route() returns, a routed one whenever the tree
// answers. Settings come as a plain struct (the proxy fills it from its command line), so routes/ needs
// nothing from proxy/.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "routes/admin_key_handler.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_handle.hpp"
#include "util/ref_counted.hpp"
#include "util/unique_function.hpp"

namespace mcrelay {

// What the root route needs of the proxy's settings (proxy/local_answers.hpp fills it from Options).
struct RootSettings {
  std::string default_prefix;                  // --route-prefix: the route that serves keys without a prefix
  std::size_t big_value_split_threshold = 0;   // non-zero: every tree is wrapped in a BigValueRoute
  bool allow_only_gets = false;                // other operations get their default reply, unrouted
  bool send_invalid_route_to_default = false;  // unknown routing prefix: the default route, not an error
  bool miss_on_get_errors = true;              // a routed get-like request that fails answers a miss
  bool miss_on_arith_errors = true;            // incr/decr that fail answer NOT_FOUND
  bool enable_flush_cmd = false;               // flush_all is refused unless set
};

// Where the reply handed to a RootReplyFn came from.
enum class ReplySource : std::uint8_t {
  route,    // a route tree answered (a miss_on_*_errors rule may have changed it; see RootOutcome)
  refused,  // the proxy refused the request itself (bad key, unknown prefix, --allow-only-gets, flush disabled)
  admin,    // an admin key's answer
};

struct RootOutcome {
  ReplySource source = ReplySource::route;
  // The result before the miss_on_*_errors rules turned an error into a miss (the session counts this one in
  // its stats, as it did before the rules moved here); equal to the reply's result when no rule applied.
  Result route_result = Result::ok;
};

using RootReplyFn = UniqueFunction<void(Reply&&, RootOutcome)>;

// The other way to receive the root's replies, without a callable per request: an object (a client session)
// that is told which of its requests was answered by the tag it gave. Routing through a sink allocates
// nothing beyond what the tree does (the callback the tree gets holds a Ref and the tag, inline), where a
// RootReplyFn wrapped for the tree does not fit UniqueFunction's inline buffer. Same thread as the root.
class RootReplySink : public RefCounted {
 public:
  virtual ~RootReplySink() = default;
  virtual void on_root_reply(std::uint64_t tag, Reply&& reply, RootOutcome how) = 0;
};

// mcrouter's GetLike operations (get, gets, gat, gats, metaget, lease-get; mg and me only read): the ones
// --allow-only-gets lets through.
bool is_get_like(Op op) noexcept;

// mcrouter's ProxyRoute rules on a routed reply: a get-like request that failed answers a miss (unless
// disabled); incr/decr that fail (a server error, or no route for the key's prefix) answer NOT_FOUND.
void apply_miss_on_get_errors(const RootSettings& settings, Reply& reply) noexcept;
void apply_miss_on_arith_errors(const RootSettings& settings, Op op, Reply& reply) noexcept;

class RootRoute {
 public:
  RootRoute(const config::Config& config, DestinationProvider& destinations, RootSettings settings,
            std::shared_ptr<AdminKeyHandler> admin_keys = nullptr);
  // The settings' defaults with these two: what the validator and `--route-key` need.
  RootRoute(const config::Config& config, DestinationProvider& destinations, const std::string& default_prefix,
            std::size_t big_value_threshold = 0);

  const RootSettings& settings() const noexcept { return settings_; }

  // --- the one handle a session hands requests to ----------------------------------------------------------
  // Routes `req` (flush_all: broadcast) or answers it; `connection_prefix` names the route standing for the
  // default one on this connection (twemproxy pool listeners; empty: the default route). Sets req->prefix_len.
  void route(const RequestPtr& req, RootReplyFn done, std::string_view connection_prefix = {});
  // The same, the reply going to sink->on_root_reply(tag, ...).
  void route(const RequestPtr& req, Ref<RootReplySink> sink, std::uint64_t tag,
             std::string_view connection_prefix = {});

  // --- the steps of route(), for callers that need them one by one -----------------------------------------
  // The route for `req` (req.prefix_len set for it), or nullptr with `answer` set to the reply the client gets
  // instead, in mcrouter's order: a key too long ("CLIENT_ERROR bad key"), --allow-only-gets (the operation's
  // default reply: NOT_STORED for updates, NOT_FOUND otherwise), an unknown routing prefix ("SERVER_ERROR
  // local error", unless send_invalid_route_to_default). The overload with `settings` uses them instead of
  // the root's own (proxy/local_answers.hpp's forwarders pass the Options of the call).
  RouteHandle* select_or_answer(Request& req, Reply& answer, std::string_view connection_prefix = {}) const;
  RouteHandle* select_or_answer(Request& req, Reply& answer, const RootSettings& settings,
                                std::string_view connection_prefix) const;
  // flush_all to every tree, or only to the tree of `connection_prefix` when it names one (a twemproxy pool
  // flushes its own servers). Refused ("SERVER_ERROR Command disabled") without enable_flush_cmd.
  void broadcast(const RequestPtr& req, RootReplyFn done, std::string_view connection_prefix = {});
  // An admin key (`get __mcrouter__.*`) the handler answers: true with `out` set; false for any other request.
  bool answer_admin(const Request& req, Reply& out) const;
  void broadcast(const RequestPtr& req, Ref<RootReplySink> sink, std::uint64_t tag,
                 std::string_view connection_prefix = {});

  // --- prefix selection ----------------------------------------------------------------------------------------
  // The tree for this key; sets prefix_len to the length of the routing prefix the tree was chosen by (the
  // prefix is stripped before hashing and before the key goes upstream), or 0.
  RouteHandle& select(std::string_view key, std::uint16_t& prefix_len) const;
  // The same, with the route of `connection_prefix` (when configured) in place of the default route.
  RouteHandle& select(std::string_view key, std::uint16_t& prefix_len, std::string_view connection_prefix) const;
  // As select(), except for a key whose routing prefix names no route: nullptr, or with invalid_to_default the
  // default route (of `connection_prefix` when it names one), the prefix still stripped (mcrouter's
  // --send-invalid-route-to-default).
  RouteHandle* find(std::string_view key, std::uint16_t& prefix_len, bool invalid_to_default,
                    std::string_view connection_prefix = {}) const;
  // The route of a routing prefix, or nullptr.
  RouteHandlePtr tree(std::string_view prefix) const;
  RouteHandle& default_route() const noexcept { return *default_; }
  // Every distinct tree (broadcasts such as flush_all go to all of them).
  const std::vector<RouteHandlePtr>& trees() const noexcept { return trees_; }
  // What the route factory ignored while building (RouteFactory::warn), for the caller to log.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  // --- introspection (`__mcrouter__.route(op,key)`, `mcrelay --route-key`) --------------------------------------
  // The destinations ("host:port") a request would reach, without sending anything.
  std::vector<std::string> destinations(Op op, std::string_view key) const;

 private:
  RouteHandle* default_route(std::string_view connection_prefix) const;
  // Deliver: callable as (Reply&&, RootOutcome), move-only (RootReplyFn, or a sink and its tag).
  template <typename Deliver>
  void route_with(const RequestPtr& req, Deliver deliver, std::string_view connection_prefix);
  template <typename Deliver>
  void route_selected(RouteHandle& route, const RequestPtr& req, Deliver deliver);
  template <typename Deliver>
  void broadcast_with(const RequestPtr& req, Deliver deliver, std::string_view connection_prefix);

  RootSettings settings_;
  std::shared_ptr<AdminKeyHandler> admin_keys_;
  std::map<std::string, RouteHandlePtr, std::less<>> by_prefix_;
  std::vector<RouteHandlePtr> trees_;
  RouteHandlePtr default_;
  std::vector<std::string> warnings_;
};

}  // namespace mcrelay
