#include "routes/fan_out.hpp"

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

struct FanOutState : RefCounted {
  ReplyFn done;
  FanOutMerge merge;
  std::size_t remaining = 0;
  bool have = false;
  Reply merged;

  void take(std::size_t index, Reply&& r) {
    if (merge == FanOutMerge::first) {
      if (index == 0) {
        merged = std::move(r);
        have = true;
      }
    } else if (!have || reply_severity(r.result) > reply_severity(merged.result)) {
      merged = std::move(r);
      have = true;
    }
    if (--remaining == 0) done(std::move(merged));
  }
};

}  // namespace

void fan_out(const std::vector<RouteHandlePtr>& children, const RequestPtr& req, ReplyFn done, FanOutMerge merge,
             bool broadcast) {
  if (children.empty()) {
    done(Reply::error(Result::local_error, "no destinations"));
    return;
  }
  auto state = make_ref<FanOutState>();
  state->done = std::move(done);
  state->merge = merge;
  state->remaining = children.size();
  for (std::size_t i = 0; i < children.size(); ++i) {
    ReplyFn cb = [state, i](Reply&& r) { state->take(i, std::move(r)); };
    if (broadcast) {
      children[i]->broadcast(req, std::move(cb));
    } else {
      children[i]->route(req, std::move(cb));
    }
  }
}

}  // namespace mcrelay
