#include "routes/fan_out.hpp"

#include <array>

#include "routes/failover_errors.hpp"
#include "routes/route_helpers.hpp"
#include "util/ref_counted.hpp"

namespace mcrelay {

// mcrouter's resultSeverity(), value for value, so that every merge picks the reply mcrouter would: an
// answer the server gave in error outranks "the proxy could not reach it", and EXISTS ranks with success.
int reply_severity(Result r) noexcept {
  switch (r) {
    case Result::found: case Result::stored: case Result::deleted: case Result::touched: case Result::ok:
    case Result::exists:
      return 1;
    case Result::not_found: case Result::not_stored:
      return 4;
    case Result::timeout: case Result::connect_timeout: case Result::connect_error: case Result::tko:
    case Result::busy:
      return 5;
    case Result::remote_error:
      return 7;
    case Result::local_error:
      return 8;
    case Result::client_error: case Result::bad_command:  // mcrouter reads a server's "ERROR" as a client error
      return 9;
  }
  return 10;
}

namespace {

constexpr std::size_t kResults = static_cast<std::size_t>(Result::busy) + 1;

// One fan-out in flight: what the merge has seen so far. Owned by the children's callbacks.
struct FanOutState : RefCounted {
  ReplyFn done;
  FanOutMerge merge = FanOutMerge::worst;
  std::size_t remaining = 0;
  std::size_t needed = 0;  // majority: n/2 + 1
  bool answered = false;
  std::size_t best_count = 0;  // majority: how many children gave `best`'s result
  std::array<std::size_t, kResults> counts{};
  bool have = false;
  Reply best;

  void answer(Reply&& r) {
    answered = true;
    ReplyFn d = std::move(done);
    d(std::move(r));
  }

  void take(std::size_t index, Reply&& r) {
    --remaining;
    if (answered) return;
    switch (merge) {
      case FanOutMerge::worst:
        if (!have || reply_severity(r.result) > reply_severity(best.result)) {
          best = std::move(r);
          have = true;
        }
        if (remaining == 0) answer(std::move(best));
        return;
      case FanOutMerge::first:
        if (index == 0) answer(std::move(r));
        return;
      case FanOutMerge::majority: {
        std::size_t c = ++counts[static_cast<std::size_t>(r.result)];
        if (c > best_count || (c == best_count && reply_severity(r.result) > reply_severity(best.result))) {
          best_count = c;
          best = std::move(r);
        }
        if (best_count >= needed || remaining == 0) answer(std::move(best));
        return;
      }
      case FanOutMerge::fastest:
        if (!is_failover_error(r.result) || remaining == 0) answer(std::move(r));
        return;
      case FanOutMerge::async:
        return;  // answered before the children were asked
    }
  }
};

}  // namespace

void fan_out(const std::vector<RouteHandlePtr>& children, const RequestPtr& req, ReplyFn done, FanOutMerge merge,
             bool broadcast) {
  if (children.empty()) {
    done(Reply::error(Result::local_error, "no destinations"));
    return;
  }
  auto send = [&](const RouteHandlePtr& child, ReplyFn cb) {
    if (broadcast) {
      child->broadcast(req, std::move(cb));
    } else {
      child->route(req, std::move(cb));
    }
  };
  if (merge == FanOutMerge::async) {
    // Nothing waits for the children: their replies go to callbacks that hold nothing. mcrouter's AllAsync
    // answers after handing the request to every child.
    for (const auto& child : children) send(child, ignore_reply());
    done(default_reply(req->op));
    return;
  }
  auto state = make_ref<FanOutState>();
  state->done = std::move(done);
  state->merge = merge;
  state->remaining = children.size();
  state->needed = children.size() / 2 + 1;
  for (std::size_t i = 0; i < children.size(); ++i) {
    send(children[i], [state, i](Reply&& r) { state->take(i, std::move(r)); });
  }
}

}  // namespace mcrelay
