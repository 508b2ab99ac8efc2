#include "routes/load_balancer_route.hpp"

#include <random>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "util/ref_counted.hpp"
#include "routes/fan_out.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

struct LoadBalancerRoute::Attempt : RefCounted {
  RequestPtr req;
  ReplyFn done;
  std::vector<std::size_t> candidates;  // children not tried yet
  std::uint32_t retries_left = 0;       // mcrouter's `retries` counter
  bool first = true;
};

RouteHandlePtr LoadBalancerRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "LoadBalancerRoute needs an object with \"children\"");
  check_keys(f, j, path, "LoadBalancerRoute",
             {"children", "algorithm", "salt", "failover_count", "load_ttl_ms", "default_server_load_percent",
              "seed"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  return build_over(f, j, path, std::move(children));
}

RouteHandlePtr LoadBalancerRoute::build_over(RouteFactory& f, const nlohmann::json& j, const std::string& path,
                                             std::vector<RouteHandlePtr> children) {
  const std::string salt = f.get_string(j, "salt", path);
  get_int(f, j, "load_ttl_ms", path, 100, 0, INT32_MAX);
  get_int(f, j, "default_server_load_percent", path, 50, 0, 100);
  const auto failover_count = get_int(f, j, "failover_count", path, 1, 0, INT32_MAX);
  const std::string algo = f.get_string(j, "algorithm", path, "weighted-hashing");
  Algorithm algorithm = Algorithm::weighted_hashing;
  if (algo == "two-random-choices") {
    algorithm = Algorithm::two_random_choices;
  } else if (algo != "weighted-hashing") {
    f.fail(path + ".algorithm", fmt::format("expected \"weighted-hashing\" or \"two-random-choices\", got \"{}\"", algo));
  }
  std::uint64_t seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  if (j.contains("seed")) seed = f.get_uint(j, "seed", path, 0);
  if (children.empty()) return std::make_shared<NullRoute>();
  if (children.size() == 1) return children.front();
  const auto capped = std::min<std::uint64_t>(static_cast<std::uint64_t>(failover_count), children.size());
  return std::make_shared<LoadBalancerRoute>(std::move(children), algorithm, salt, static_cast<std::uint32_t>(capped),
                                             seed);
}

std::uint64_t LoadBalancerRoute::next_random() noexcept {
  // splitmix64: cheap, good enough to spread requests.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::size_t LoadBalancerRoute::pick(const Request& req, const std::vector<std::size_t>& candidates,
                                    std::uint32_t retries_left, bool first) {
  const auto n = static_cast<std::uint32_t>(candidates.size());
  if (algorithm_ == Algorithm::two_random_choices) {
    // Two distinct candidates; equal loads (memcached reports none): the first one drawn.
    return static_cast<std::size_t>(next_random() % n);
  }
  WeightedCh3Hash hash(n, std::vector<double>(n, 1.0));
  std::string key(req.routing_key());
  key += salt_;
  if (!first) key += std::to_string(retries_left);
  return hash.index(key);
}

std::size_t LoadBalancerRoute::first_choice(const Request& req) {
  std::vector<std::size_t> all(children_.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return pick(req, all, failover_count_, true);
}

void LoadBalancerRoute::route(const RequestPtr& req, ReplyFn done) {
  auto a = make_ref<Attempt>();
  a->req = req;
  a->done = std::move(done);
  a->candidates.resize(children_.size());
  for (std::size_t i = 0; i < children_.size(); ++i) a->candidates[i] = i;
  a->retries_left = failover_count_;
  attempt(a);
}

void LoadBalancerRoute::attempt(const Ref<Attempt>& a) {
  const std::size_t slot = pick(*a->req, a->candidates, a->retries_left, a->first);
  const std::size_t child = a->candidates[slot];
  a->first = false;
  // mcrouter removes the tried child by swapping it with the last one.
  std::swap(a->candidates[slot], a->candidates.back());
  a->candidates.pop_back();
  auto self = shared_from_this();
  children_[child]->route(a->req, [self, a](Reply&& r) {
    if (is_error(r.result) && --a->retries_left > 0 && !a->candidates.empty()) {
      self->attempt(a);
      return;
    }
    ReplyFn d = std::move(a->done);
    d(std::move(r));
  });
}

void LoadBalancerRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  fan_out(children_, req, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void LoadBalancerRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (algorithm_ == Algorithm::weighted_hashing) {
    const auto n = static_cast<std::uint32_t>(children_.size());
    WeightedCh3Hash hash(n, std::vector<double>(n, 1.0));
    std::string key(req.routing_key());
    key += salt_;
    children_[hash.index(key)]->collect_destinations(req, out);
    return;
  }
  for (const auto& c : children_) c->collect_destinations(req, out);  // any may be chosen
}

}  // namespace mcrelay
