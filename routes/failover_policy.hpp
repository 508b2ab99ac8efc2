#pragma once
// FailoverPolicy: the order in which FailoverRoute tries its children after the first one failed, and how
// many failed tries it allows: mcrouter's "failover_policy" {"type": ...} (mcrouter/routes/FailoverPolicy.h).
//
//   FailoverInOrderPolicy (default)  children in order; "max_tries" caps the children tried.
//   LeastFailuresPolicy              child 0 first, then the others by fewest recent errors (a child's count
//                                    goes up with each error reply and back to 0 with any other reply; ties
//                                    keep config order); "max_tries" (required) children in all.
//   DeterministicOrderPolicy         child 0 first, then the children a salted Ch3 (or WeightedCh3, from the
//                                    route's "hash") of the routing key picks over all n children, salts "2",
//                                    "3", ..., skipping children already picked (and, unless
//                                    "ignore_normal_reply_index", child i + 1 when child 0 is a pool that
//                                    picked its server i); up to 100 draws per step. "max_tries" (required)
//                                    children in all; "max_error_tries" (required) failed tries, not counting
//                                    TKO or the results listed in "exclude_errors".
//   RendezvousPolicy                 child 0 is the normal route; children 1..n-1 are hosts with "tags"
//                                    (the route's or the policy's, n - 1 of them): they are tried in
//                                    Rendezvous order of the routing key (WeightedRendezvous when the route's
//                                    "hash" is "WeightedRendezvous", weights from the policy's "weights"),
//                                    skipping host i when child 0 is a pool that picked its server i.
// DeterministicOrderPolicy's "enable_failure_domains": true (mcrouter's): when a child answers TKO, the
// failure domain of the server it used (the pool's "failure_domains", RouteFactory::failure_domains()) is
// marked failed for this request, and the following draws skip children whose first server is in a failed
// domain (all of them failed: the next child anyway, mcrouter's fail-safe). FailoverRoute applies it.
//
// Contract: built by FailoverRoute::parse_options at config load (throws ConfigError through the factory);
// order() and record() run on the owning worker thread and never throw (beyond std::bad_alloc).
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"
#include "routes/hash/hash_function.hpp"
#include "routes/hash/rendezvous_hash.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class FailoverPolicy {
 public:
  enum class Kind { in_order, least_failures, deterministic_order, rendezvous };
  static constexpr std::uint32_t kUnlimited = std::numeric_limits<std::uint32_t>::max();

  FailoverPolicy() = default;  // FailoverInOrderPolicy, no limits
  ~FailoverPolicy();
  FailoverPolicy(FailoverPolicy&&) noexcept;
  FailoverPolicy& operator=(FailoverPolicy&&) noexcept;

  // `route` is the route object (failover_policy, hash, tags); `n` its number of children.
  static FailoverPolicy parse(RouteFactory& f, const nlohmann::json& route, const std::string& path, std::size_t n);

  Kind kind() const noexcept { return kind_; }
  // Children tried in all, child 0 included.
  std::size_t max_tries() const noexcept { return max_tries_; }
  // Failed tries (not TKO, not excluded) after which no further child is tried.
  std::uint32_t max_error_tries() const noexcept { return max_error_tries_; }
  bool counts_as_try(Result r) const noexcept;

  // The children to try after child 0, in order (at most max_tries() - 1). `children` are the route's.
  std::vector<std::uint32_t> failover_order(const Request& req, const std::vector<RouteHandlePtr>& children) const;

  // DeterministicOrderPolicy with enable_failure_domains: failover_order() then lists every child (not only
  // max_tries - 1), for FailoverRoute to skip the ones in failed domains.
  bool uses_failure_domains() const noexcept { return !domains_.empty(); }
  // The failure domain of the first server `child` sends `req` to; 0: none known.
  std::uint32_t failure_domain(const RouteHandle& child, const Request& req) const;

  // Every reply of child `i` (LeastFailuresPolicy keeps its error counts).
  void record(std::uint32_t i, Result r) noexcept {
    if (kind_ == Kind::least_failures && i < recent_errors_.size()) {
      recent_errors_[i] = is_error(r) ? recent_errors_[i] + 1 : 0;
    }
  }

 private:
  Kind kind_ = Kind::in_order;
  std::size_t max_tries_ = std::numeric_limits<std::size_t>::max();
  std::uint32_t max_error_tries_ = kUnlimited;
  std::uint32_t excluded_ = 0;  // bit i: Result i does not count as a try
  bool ignore_normal_index_ = false;
  std::size_t n_ = 0;
  std::vector<std::uint64_t> recent_errors_;
  std::map<std::string, std::uint32_t, std::less<>> domains_;  // enable_failure_domains: server -> domain
  std::unique_ptr<HashFunction> order_hash_;  // DeterministicOrderPolicy: Ch3 / WeightedCh3 over n children
  std::unique_ptr<RendezvousHash> rendezvous_;
  std::unique_ptr<WeightedRendezvousHash> weighted_rendezvous_;
};

}  // namespace mcrelay
