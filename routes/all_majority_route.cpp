#include "routes/all_majority_route.hpp"

#include <array>

#include "util/ref_counted.hpp"
#include "routes/fan_out.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

constexpr std::size_t kResults = static_cast<std::size_t>(Result::busy) + 1;

struct MajorityState : RefCounted {
  ReplyFn done;
  std::size_t remaining = 0;
  std::size_t needed = 0;
  bool answered = false;
  std::array<std::size_t, kResults> counts{};
  std::size_t best_count = 0;
  Reply best;

  void take(Reply&& r) {
    --remaining;
    if (answered) return;
    std::size_t c = ++counts[static_cast<std::size_t>(r.result)];
    if (c > best_count || (c == best_count && reply_severity(r.result) > reply_severity(best.result))) {
      best_count = c;
      best = std::move(r);
    }
    if (best_count >= needed || remaining == 0) {
      answered = true;
      ReplyFn d = std::move(done);
      d(std::move(best));
    }
  }
};

}  // namespace

RouteHandlePtr AllMajorityRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "AllMajorityRoute", {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllMajorityRoute>(std::move(children));
}

void AllMajorityRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  auto self = shared_from_this();
  RequestPtr r = req;
  auto state = make_ref<MajorityState>();
  state->done = std::move(done);
  state->remaining = children_.size();
  state->needed = children_.size() / 2 + 1;
  for (const auto& child : children_) {
    ReplyFn cb = [state](Reply&& rep) { state->take(std::move(rep)); };
    if (broadcast) {
      child->broadcast(r, std::move(cb));
    } else {
      child->route(r, std::move(cb));
    }
  }
}

void AllMajorityRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
