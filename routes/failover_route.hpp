#pragma once
// FailoverRoute {children, failover_errors, failover_limit, failover_policy}: mcrouter's failover.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. Children may answer later: every
// pending attempt holds a shared_ptr to this handle, so dropping the tree (config reload) while replies are
// outstanding is safe.
//
// Semantics (mcrouter's FailoverRoute): the request goes to children[0]; while the reply is an error that
// `failover_errors` lists for the operation (default: mcrouter's failover errors, routes/failover_errors.hpp:
// timeouts, connect errors, TKO, busy, local errors and SERVER_ERROR, but not CLIENT_ERROR), it goes to the
// next child in the order of `failover_policy` (routes/failover_policy.hpp: FailoverInOrderPolicy,
// LeastFailuresPolicy, DeterministicOrderPolicy, RendezvousPolicy), as long as the policy allows another
// try (a TKO reply never counts as one). With DeterministicOrderPolicy's enable_failure_domains, a TKO marks
// the failure domain of the child's server failed for this request and later children in it are skipped. A miss is not an error. The first non-failover reply is returned;
// when every child tried failed, the last one's reply is. `failover_limit` {rate, burst} caps the share of
// requests that may fail over (mcrouter's token bucket over request counts, consulted before each failover;
// leaving a TKO destination is free). `failover_tag: true` marks the requests sent to failover children
// as mcrouter does (see Options::failover_tag); `enable_lease_pairing` (a bool, as in mcrouter) is accepted
// and ignored. `hash` and `tags` feed the
// DeterministicOrder and Rendezvous policies. Broadcasts (flush_all) go to every child; the worst reply is
// returned. An empty children list builds a NullRoute, like mcrouter.
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/ref_counted.hpp"
#include "routes/failover_errors.hpp"
#include "routes/failover_policy.hpp"
#include "routes/failover_rate_limiter.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class FailoverRoute final : public RouteHandle, public std::enable_shared_from_this<FailoverRoute> {
 public:
  struct Options {
    FailoverErrors errors;
    std::optional<FailoverRateLimiter> limiter;
    std::shared_ptr<FailoverPolicy> policy = std::make_shared<FailoverPolicy>();
    // failover_tag: a key with a hash stop ("|#|") goes to the failover children with ":failover=1"
    // appended (after the hash stop, so it hashes the same), when the result fits in 250 bytes.
    bool failover_tag = false;
  };

  // The request a failover child gets: `req` itself, or a copy with the failover tag.
  static RequestPtr tagged_for_failover(const RequestPtr& req);

  FailoverRoute(std::vector<RouteHandlePtr> children, Options opts);

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  // The failover keys of `j` (failover_errors, failover_limit, failover_policy with the route's hash and
  // tags), shared with LatestRoute and FailoverWithExptimeRoute. `n_children`: the children the policy
  // orders; 0 when the caller does not know them yet (then only FailoverInOrderPolicy is accepted).
  static Options parse_options(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                               std::size_t n_children = 0);

  std::string_view type() const noexcept override { return "FailoverRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  // Every child this request may be tried on, in order.
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  const std::vector<RouteHandlePtr>& children() const noexcept { return children_; }

 private:
  struct Attempt : RefCounted {
    RequestPtr req;
    RequestPtr failover_req;  // `req` with the failover tag, made at the first failover (failover_tag only)
    ReplyFn done;
    std::vector<std::uint32_t> order;  // the failover children, filled at the first failover
    std::size_t pos = 0;               // 0: child 0; k > 0: order[k - 1]
    std::uint32_t error_tries = 0;
    std::size_t limit = 0;                      // failovers allowed: order.size(), at most max_tries - 1
    std::vector<std::uint32_t> failed_domains;  // enable_failure_domains: domains that answered TKO
    std::uint32_t child() const { return pos == 0 ? 0 : order[pos - 1]; }
  };

  void send(const Ref<Attempt>& a);
  void on_reply(const Ref<Attempt>& a, Reply&& r);
  // Moves the first child at or after order[pos - 1] whose domain has not failed to order[pos - 1].
  void skip_failed_domains(Attempt& a) const;

  std::vector<RouteHandlePtr> children_;
  Options opts_;
};

}  // namespace mcrelay
