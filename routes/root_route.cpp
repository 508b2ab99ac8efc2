#include "routes/root_route.hpp"

#include <type_traits>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "protocol/request_parser.hpp"
#include "routes/big_value_route.hpp"
#include "routes/fan_out.hpp"

namespace mcrelay {

bool is_get_like(Op op) noexcept {
  return is_retrieval(op) || op == Op::lease_get || op == Op::metaget || op == Op::mg || op == Op::me;
}

namespace {

// The operations mcrouter's miss_on_get_errors covers as mcrelay serves them: the classic retrievals and the
// lease-get / metaget translations (a meta mg carries its own error to the client, as memcached's would).
bool misses_on_get_error(Op op) noexcept { return is_retrieval(op) || op == Op::lease_get || op == Op::metaget; }

bool is_arith(Op op) noexcept { return op == Op::incr || op == Op::decr; }

}  // namespace

void apply_miss_on_get_errors(const RootSettings& settings, Reply& reply) noexcept {
  if (settings.miss_on_get_errors && is_error(reply.result)) reply = Reply(Result::not_found);
}

void apply_miss_on_arith_errors(const RootSettings& settings, Op op, Reply& reply) noexcept {
  if (is_arith(op) && settings.miss_on_arith_errors && is_error(reply.result)) reply = Reply(Result::not_found);
}

RootRoute::RootRoute(const config::Config& config, DestinationProvider& destinations, RootSettings settings,
                     std::shared_ptr<AdminKeyHandler> admin_keys)
    : settings_(std::move(settings)), admin_keys_(std::move(admin_keys)) {
  RouteFactory factory(config, destinations);
  for (const auto& entry : config.routes) {
    RouteHandlePtr tree = factory.build(entry.route, entry.json_path);
    if (settings_.big_value_split_threshold > 0) {
      tree = std::make_shared<BigValueRoute>(std::move(tree), settings_.big_value_split_threshold);
    }
    trees_.push_back(tree);
    for (const auto& alias : entry.aliases) by_prefix_[alias] = tree;
  }
  factory.build_unreferenced_named_handles();
  warnings_ = factory.warnings();
  if (trees_.empty()) throw config::ConfigError(fmt::format("{}: no route configured", config.source));
  if (auto it = by_prefix_.find(settings_.default_prefix); it != by_prefix_.end()) {
    default_ = it->second;
  } else {
    default_ = trees_.front();
  }
}

namespace {
RootSettings with_prefix(const std::string& default_prefix, std::size_t big_value_threshold) {
  RootSettings s;
  s.default_prefix = default_prefix;
  s.big_value_split_threshold = big_value_threshold;
  return s;
}
}  // namespace

RootRoute::RootRoute(const config::Config& config, DestinationProvider& destinations,
                     const std::string& default_prefix, std::size_t big_value_threshold)
    : RootRoute(config, destinations, with_prefix(default_prefix, big_value_threshold)) {}

namespace {

// A sink and the tag of one request: what a tree's callback holds when a session routes through a sink.
struct SinkDeliver {
  Ref<RootReplySink> sink;
  std::uint64_t tag;
  void operator()(Reply&& r, RootOutcome how) { sink->on_root_reply(tag, std::move(r), how); }
};

}  // namespace

void RootRoute::route(const RequestPtr& req, RootReplyFn done, std::string_view connection_prefix) {
  route_with(req, std::move(done), connection_prefix);
}

void RootRoute::route(const RequestPtr& req, Ref<RootReplySink> sink, std::uint64_t tag,
                      std::string_view connection_prefix) {
  route_with(req, SinkDeliver{std::move(sink), tag}, connection_prefix);
}

void RootRoute::broadcast(const RequestPtr& req, RootReplyFn done, std::string_view connection_prefix) {
  broadcast_with(req, std::move(done), connection_prefix);
}

void RootRoute::broadcast(const RequestPtr& req, Ref<RootReplySink> sink, std::uint64_t tag,
                          std::string_view connection_prefix) {
  broadcast_with(req, SinkDeliver{std::move(sink), tag}, connection_prefix);
}

bool RootRoute::answer_admin(const Request& req, Reply& out) const {
  return admin_keys_ && is_retrieval(req.op) && is_admin_key(req.key) && admin_keys_->answer(req.key, out);
}

template <typename Deliver>
void RootRoute::route_with(const RequestPtr& req, Deliver deliver, std::string_view connection_prefix) {
  if (req->op == Op::flush_all) {
    broadcast_with(req, std::move(deliver), connection_prefix);
    return;
  }
  // Admin keys come first, as in mcrouter (its ServiceInfo answers them before any route is looked at).
  if (Reply out; answer_admin(*req, out)) {
    Result r = out.result;
    deliver(std::move(out), RootOutcome{ReplySource::admin, r});
    return;
  }
  Reply answer;
  if (RouteHandle* chosen = select_or_answer(*req, answer, connection_prefix)) {
    route_selected(*chosen, req, std::move(deliver));
    return;
  }
  // The proxy's own refusals always reach the client as they are (mcrouter surfaces invalid routing errors
  // even for gets), except that incr/decr answer NOT_FOUND for them too.
  Result before = answer.result;
  apply_miss_on_arith_errors(settings_, req->op, answer);
  deliver(std::move(answer), RootOutcome{ReplySource::refused, before});
}

template <typename Deliver>
void RootRoute::route_selected(RouteHandle& chosen, const RequestPtr& req, Deliver deliver) {
  // The rule is copied into the callback: a reload may replace this root while the request is in flight
  // (the trees live on in the requests that use them; the root does not).
  const Op op = req->op;
  const bool miss_on_error = (misses_on_get_error(op) && settings_.miss_on_get_errors) ||
                             (is_arith(op) && settings_.miss_on_arith_errors);
  auto callback = [deliver = std::move(deliver), miss_on_error](Reply&& r) mutable {
    Result res = r.result;
    if (miss_on_error && is_error(res)) r = Reply(Result::not_found);
    deliver(std::move(r), RootOutcome{ReplySource::route, res});
  };
  if constexpr (std::is_same_v<Deliver, SinkDeliver>) {
    // The point of a sink: the tree's callback stays within UniqueFunction's inline buffer (48 bytes).
    static_assert(sizeof(callback) <= 48 && std::is_nothrow_move_constructible_v<decltype(callback)>);
  }
  chosen.route(req, std::move(callback));
}

template <typename Deliver>
void RootRoute::broadcast_with(const RequestPtr& req, Deliver deliver, std::string_view connection_prefix) {
  if (!settings_.enable_flush_cmd) {
    // mcrouter's precheck: flush_all is a local error with this message unless --enable-flush-cmd.
    deliver(Reply::error(Result::local_error, "Command disabled"),
            RootOutcome{ReplySource::refused, Result::local_error});
    return;
  }
  // On a pool's own listen address (twemproxy configs), flush_all flushes that pool only. The list is a copy:
  // it outlives a reload that replaces this root while the broadcast is in flight.
  std::vector<RouteHandlePtr> targets;
  if (!connection_prefix.empty()) {
    if (auto t = tree(connection_prefix)) targets.push_back(std::move(t));
  }
  if (targets.empty()) targets = trees_;
  fan_out(targets, req, [deliver = std::move(deliver)](Reply&& r) mutable {
    Result res = r.result;
    deliver(std::move(r), RootOutcome{ReplySource::route, res});
  }, FanOutMerge::worst, /*broadcast=*/true);
}

RouteHandle* RootRoute::select_or_answer(Request& req, Reply& answer, std::string_view connection_prefix) const {
  return select_or_answer(req, answer, settings_, connection_prefix);
}

RouteHandle* RootRoute::select_or_answer(Request& req, Reply& answer, const RootSettings& settings,
                                         std::string_view connection_prefix) const {
  // mcrouter's server session refuses a key over 250 bytes before anything else (only a get's keys get
  // here: the parser answers the other commands itself).
  if (req.key.size() > kMaxKeyLength) {
    answer = Reply::error(Result::client_error, "bad key");
    return nullptr;
  }
  // mcrouter's RootRoute answers everything but get-like requests with the default reply, unrouted, even
  // for a key whose routing prefix is unknown.
  if (settings.allow_only_gets && !is_get_like(req.op)) {
    answer = Reply(is_storage(req.op) || req.op == Op::ms || req.op == Op::lease_set ? Result::not_stored
                                                                                      : Result::not_found);
    return nullptr;
  }
  RouteHandle* chosen = find(req.key, req.prefix_len, settings.send_invalid_route_to_default, connection_prefix);
  if (chosen == nullptr) {
    // RootRoute with no target: an error reply without a message, which mcrouter writes "SERVER_ERROR local
    // error"; get-like requests get it too (it is never turned into a miss).
    answer = Reply(Result::local_error);
  }
  return chosen;
}

RouteHandle& RootRoute::select(std::string_view key, std::uint16_t& prefix_len) const {
  prefix_len = 0;
  std::size_t pl = routing_prefix_length(key);
  if (pl > 0 && pl < key.size()) {
    if (auto it = by_prefix_.find(key.substr(0, pl)); it != by_prefix_.end()) {
      prefix_len = static_cast<std::uint16_t>(pl);
      return *it->second;
    }
  }
  return *default_;
}

RouteHandle& RootRoute::select(std::string_view key, std::uint16_t& prefix_len,
                               std::string_view connection_prefix) const {
  RouteHandle& chosen = select(key, prefix_len);
  if (connection_prefix.empty() || prefix_len != 0) return chosen;
  auto it = by_prefix_.find(connection_prefix);
  return it != by_prefix_.end() ? *it->second : chosen;
}

RouteHandle* RootRoute::find(std::string_view key, std::uint16_t& prefix_len, bool invalid_to_default,
                             std::string_view connection_prefix) const {
  prefix_len = 0;
  std::size_t pl = routing_prefix_length(key);
  if (pl == 0 || pl >= key.size()) return default_route(connection_prefix);
  if (auto it = by_prefix_.find(key.substr(0, pl)); it != by_prefix_.end()) {
    prefix_len = static_cast<std::uint16_t>(pl);
    return it->second.get();
  }
  if (!invalid_to_default) return nullptr;
  prefix_len = static_cast<std::uint16_t>(pl);
  return default_route(connection_prefix);
}

RouteHandle* RootRoute::default_route(std::string_view connection_prefix) const {
  if (!connection_prefix.empty()) {
    if (auto it = by_prefix_.find(connection_prefix); it != by_prefix_.end()) return it->second.get();
  }
  return default_.get();
}

RouteHandlePtr RootRoute::tree(std::string_view prefix) const {
  auto it = by_prefix_.find(prefix);
  return it != by_prefix_.end() ? it->second : nullptr;
}

std::vector<std::string> RootRoute::destinations(Op op, std::string_view key) const {
  Request req;
  req.op = op;
  req.key.assign(key);
  std::vector<std::string> out;
  select(req.key, req.prefix_len).collect_destinations(req, out);
  return out;
}

}  // namespace mcrelay
