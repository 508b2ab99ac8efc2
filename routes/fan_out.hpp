#pragma once
// FanOut: the one broadcast loop. Sends one request to several children and combines their replies by a
// merge policy: the All*Route family (routes/all_route.hpp), the broadcasts of flush_all through selector
// routes and pools, and the root route's flush_all (routes/root_route.hpp).
//
// Contract: worker thread only. `done` is called exactly once: with the merged reply, when the policy has
// what it needs (for some policies before the last child answers; `async` before fan_out returns). The
// per-request state is reference-counted and owned by the children's callbacks, so the caller and its tree
// may go away while replies are outstanding; replies after the answer are dropped.
#include <cstdint>
#include <memory>
#include <vector>

#include "routes/route_handle.hpp"

namespace mcrelay {

// How the children's replies combine into one (mcrouter's All* routes).
enum class FanOutMerge : std::uint8_t {
  worst,     // after every child: the worst reply by reply_severity(), the first of equals (AllSyncRoute)
  first,     // as soon as children[0] answers: its reply; the others complete in the background (AllInitialRoute)
  async,     // at once, without waiting: the default reply of the operation (AllAsyncRoute)
  majority,  // once n/2 + 1 children agree on a result, else after the last: the most common, ties to the
             // worse (AllMajorityRoute)
  fastest,   // the first reply that is not a failover error, else the last error (AllFastestRoute)
};

// Severity order used by FanOutMerge::worst and other merges, mcrouter's resultSeverity(): success and
// EXISTS (1) < miss, NOT_STORED (4) < timeout, connect error, TKO, busy (5) < SERVER_ERROR (7) < a local
// error (8) < CLIENT_ERROR, ERROR (9). Higher is worse.
int reply_severity(Result r) noexcept;

// Routes `req` to every child in order (child->route, or child->broadcast when `broadcast` is set) and calls
// `done` once with the reply `merge` makes of theirs. No children: a local error.
void fan_out(const std::vector<RouteHandlePtr>& children, const RequestPtr& req, ReplyFn done, FanOutMerge merge,
             bool broadcast);

}  // namespace mcrelay
