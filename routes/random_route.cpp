#include "routes/random_route.hpp"

#include <random>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/fan_out.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

RouteHandlePtr RandomRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "RandomRoute", {"children", "seed"});
  auto children = build_route_list(f, f.require(j, "children", path), path + ".children");
  std::uint64_t seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) {
      f.fail(path + ".seed", fmt::format("expected a non-negative integer, got {}", config::describe_json(j["seed"])));
    }
    seed = j["seed"].get<std::uint64_t>();
  }
  if (children.empty()) return std::make_shared<NullRoute>();
  return std::make_shared<RandomRoute>(std::move(children), seed);
}

std::size_t RandomRoute::next_index() noexcept {
  // splitmix64, then Lemire's multiply-shift to map onto [0, n) without a division.
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<std::size_t>((static_cast<unsigned __int128>(z) * children_.size()) >> 64);
}

void RandomRoute::route(const RequestPtr& req, ReplyFn done) {
  children_[next_index()]->route(req, std::move(done));
}

void RandomRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  auto self = shared_from_this();
  RequestPtr r = req;
  fan_out(children_, r, std::move(done), FanOutMerge::worst, /*broadcast=*/true);
}

void RandomRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  for (const auto& c : children_) c->collect_destinations(req, out);
}

}  // namespace mcrelay
