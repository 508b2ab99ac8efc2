#pragma once
// FanOut: send one request to several children and combine their replies (broadcasts such as flush_all,
// and the All*Route family). Worker thread only; the state lives until the last child answers.
#include <memory>
#include <vector>

#include "routes/route_handle.hpp"

namespace mcrelay {

// How the children's replies combine into one.
enum class FanOutMerge : std::uint8_t {
  worst,  // the "worst" reply (any error beats any success; mcrouter's AllSync rule)
  first,  // the first child's reply (AllInitial)
};

// Severity order used by FanOutMerge::worst and other merges, mcrouter's resultSeverity(): success and
// EXISTS (1) < miss, NOT_STORED (4) < timeout, connect error, TKO, busy (5) < SERVER_ERROR (7) < a local
// error (8) < CLIENT_ERROR, ERROR (9). Higher is worse.
int reply_severity(Result r) noexcept;

// Routes `req` to every child (child->route, or child->broadcast when `broadcast` is set) and calls `done`
// once with the merged reply after all children have answered.
void fan_out(const std::vector<RouteHandlePtr>& children, const RequestPtr& req, ReplyFn done, FanOutMerge merge,
             bool broadcast);

}  // namespace mcrelay
