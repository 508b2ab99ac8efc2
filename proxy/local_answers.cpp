#include "proxy/local_answers.hpp"

#include "proxy/options.hpp"
#include "protocol/request_parser.hpp"
#include "proxy/router.hpp"

namespace mcrelay {

std::string_view shutdown_reply(const Options& options, std::string_view mode) noexcept {
  if (!options.enable_shutdown_cmd) return kShutdownDisabled;  // memcached checks this first, too
  if (!mode.empty() && mode != "graceful") return kBadShutdownMode;
  return {};
}

bool is_get_like(Op op) noexcept {
  // mcrouter's GetLike: get, gets, gat, gats, metaget, lease-get; mg and me only read.
  return is_retrieval(op) || op == Op::lease_get || op == Op::metaget || op == Op::mg || op == Op::me;
}

RouteHandle* route_or_answer(const Router& router, const Options& options, Request& req, Reply& answer,
                             std::string_view default_prefix) {
  // mcrouter's server session refuses a key over 250 bytes before anything else (only a get's keys get
  // here: the parser answers the other commands itself).
  if (req.key.size() > kMaxKeyLength) {
    answer = Reply::error(Result::client_error, "bad key");
    return nullptr;
  }
  // mcrouter's RootRoute answers everything but get-like requests with the default reply, unrouted, even
  // for a key whose routing prefix is unknown.
  if (options.allow_only_gets && !is_get_like(req.op)) {
    answer = Reply(is_storage(req.op) || req.op == Op::ms || req.op == Op::lease_set ? Result::not_stored
                                                                                      : Result::not_found);
    return nullptr;
  }
  RouteHandle* route = router.find(req.key, req.prefix_len, options.send_invalid_route_to_default, default_prefix);
  if (route == nullptr) {
    // RootRoute with no target: an error reply without a message, which mcrouter writes "SERVER_ERROR local
    // error"; get-like requests get it too (it is never turned into a miss).
    answer = Reply(Result::local_error);
  }
  return route;
}

bool route_or_reply(const Router& router, const Options& options, const RequestPtr& req, ReplyFn done,
                    std::string_view default_prefix) {
  Reply answer;
  if (RouteHandle* route = route_or_answer(router, options, *req, answer, default_prefix)) {
    route->route(req, std::move(done));
    return false;
  }
  done(std::move(answer));
  return true;
}

void apply_miss_on_get_errors(const Options& options, Reply& reply) noexcept {
  if (options.miss_on_get_errors && is_error(reply.result)) reply = Reply(Result::not_found);
}

void apply_miss_on_arith_errors(const Options& options, Op op, Reply& reply) noexcept {
  if ((op == Op::incr || op == Op::decr) && !options.disable_miss_on_arith_errors && is_error(reply.result)) {
    reply = Reply(Result::not_found);
  }
}

}  // namespace mcrelay
