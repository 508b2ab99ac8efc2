#include "routes/all_fastest_route.hpp"

#include "util/ref_counted.hpp"
#include "routes/failover_errors.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

struct FastestState : RefCounted {
  ReplyFn done;
  std::size_t remaining = 0;
  bool answered = false;

  void take(Reply&& r) {
    --remaining;
    if (answered) return;
    if (!is_failover_error(r.result) || remaining == 0) {
      answered = true;
      ReplyFn d = std::move(done);
      d(std::move(r));
    }
  }
};

}  // namespace

RouteHandlePtr AllFastestRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "AllFastestRoute", {"children"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<AllFastestRoute>(std::move(children));
}

void AllFastestRoute::dispatch(const RequestPtr& req, ReplyFn done, bool broadcast) {
  auto self = shared_from_this();
  RequestPtr r = req;
  auto state = make_ref<FastestState>();
  state->done = std::move(done);
  state->remaining = children_.size();
  for (const auto& child : children_) {
    ReplyFn cb = [state](Reply&& rep) { state->take(std::move(rep)); };
    if (broadcast) {
      child->broadcast(r, std::move(cb));
    } else {
      child->route(r, std::move(cb));
    }
  }
}

void AllFastestRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
