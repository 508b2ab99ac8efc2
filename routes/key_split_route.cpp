#include "routes/key_split_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "util/ref_counted.hpp"
#include "routes/host_id.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// mcrouter leaves a key unchanged when "::<replica>" could make it longer than 255 bytes.
constexpr std::size_t kMaxKeyLength = 255;
constexpr std::size_t kExtraKeySpace = 2 + 3;  // "::" and up to three digits

bool is_lookup(Op op) noexcept { return op == Op::get || op == Op::lease_get || op == Op::lease_set; }
bool is_delete(Op op) noexcept { return op == Op::delete_ || op == Op::md; }

struct FirstHitState : RefCounted {
  ReplyFn done;
  std::size_t remaining = 0;
  bool answered = false;
  bool want_stored = false;  // lease-set: the first stored reply wins

  void take(Reply&& r) {
    --remaining;
    if (answered) return;
    const bool good = want_stored ? r.result == Result::stored : is_hit_result(r.result);
    if (good || remaining == 0) {
      answered = true;
      ReplyFn d = std::move(done);
      d(std::move(r));
    }
  }
};

}  // namespace

RouteHandlePtr KeySplitRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "KeySplitRoute needs an object with \"destination\", \"replicas\" and \"all_sync\"");
  check_keys(f, j, path, "KeySplitRoute", {"destination", "replicas", "all_sync", "first_hit"});
  auto child = f.build(f.require(j, "destination", path), path + ".destination");
  f.require(j, "replicas", path);
  f.require(j, "all_sync", path);
  const auto replicas = get_int(f, j, "replicas", path, kMinReplicas, kMinReplicas, kMaxReplicas);
  const bool all_sync = f.get_bool(j, "all_sync", path, false);
  const bool first_hit = f.get_bool(j, "first_hit", path, false);
  return std::make_shared<KeySplitRoute>(std::move(child), static_cast<std::uint32_t>(replicas), all_sync, first_hit);
}

std::uint32_t KeySplitRoute::replica_id() const noexcept { return host_id() % replicas_; }

RequestPtr KeySplitRoute::for_replica(const RequestPtr& req, std::uint32_t id) const {
  if (id == 0 || req->key.size() + kExtraKeySpace > kMaxKeyLength) return req;
  RequestPtr copy = clone_request(*req);
  copy->key = fmt::format("{}::{}", req->key, id);
  return copy;
}

void KeySplitRoute::route(const RequestPtr& req, ReplyFn done) {
  const std::uint32_t own = replica_id();
  if (req->key.size() + kExtraKeySpace > kMaxKeyLength) {
    child_->route(req, std::move(done));
    return;
  }
  if (is_lookup(req->op) && first_hit_) {
    route_first_hit(req, std::move(done));
  } else if ((req->op == Op::set && all_sync_) || is_delete(req->op)) {
    route_all(req, std::move(done), own);
  } else {
    child_->route(for_replica(req, own), std::move(done));
  }
}

void KeySplitRoute::route_all(const RequestPtr& req, ReplyFn done, std::uint32_t own) {
  for (std::uint32_t id = 0; id < replicas_; ++id) {
    if (id != own) child_->route(for_replica(req, id), ignore_reply());
  }
  child_->route(for_replica(req, own), std::move(done));
}

void KeySplitRoute::route_first_hit(const RequestPtr& req, ReplyFn done) {
  auto state = make_ref<FirstHitState>();
  state->done = std::move(done);
  state->remaining = replicas_;
  state->want_stored = req->op == Op::lease_set;
  for (std::uint32_t id = 0; id < replicas_; ++id) {
    child_->route(for_replica(req, id), [state](Reply&& r) { state->take(std::move(r)); });
  }
}

void KeySplitRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  RequestPtr r = clone_request(req);
  child_->collect_destinations(*for_replica(r, replica_id()), out);
}

}  // namespace mcrelay
