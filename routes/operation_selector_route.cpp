#include "routes/operation_selector_route.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/suggest.hpp"
#include "protocol/op_names.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

std::string_view OperationSelectorRoute::policy_name(Op op) noexcept { return mcrouter_op_name(op); }

RouteHandlePtr OperationSelectorRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  check_keys(f, j, path, "OperationSelectorRoute", {"operation_policies", "default_policy"});
  auto policies_it = j.find("operation_policies");
  auto default_it = j.find("default_policy");
  if (policies_it == j.end() && default_it == j.end()) {
    f.fail(path, "OperationSelectorRoute needs \"operation_policies\" or \"default_policy\"");
  }
  std::map<std::string, RouteHandlePtr, std::less<>> by_name;
  if (policies_it != j.end()) {
    std::string where = path + ".operation_policies";
    if (!policies_it->is_object()) {
      f.fail(where, fmt::format("expected an object {{operation: route}}, got {}", config::describe_json(*policies_it)));
    }
    // nlohmann::json objects iterate in key order: the same order mcrouter builds them in.
    for (const auto& [name, spec] : policies_it->items()) {
      std::string at = config::json_path_key(where, name);
      const auto known = mcrouter_op_names();  // every name mcrouter accepts, sorted
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        if (auto match = config::closest_match(name, known)) {
          f.fail(at, fmt::format("unknown operation {}; did you mean \"{}\"?", config::describe_json(nlohmann::json(name)),
                                 *match));
        }
        f.fail(at, fmt::format("unknown operation {} (valid: {})", config::describe_json(nlohmann::json(name)),
                               fmt::join(known, ", ")));
      }
      by_name.emplace(name, f.build(spec, at));
    }
  }
  RouteHandlePtr fallback;
  if (default_it != j.end()) fallback = f.build(*default_it, path + ".default_policy");
  Table table;
  for (int i = 0; i < kOpCount; ++i) {
    auto it = by_name.find(policy_name(static_cast<Op>(i)));
    table[static_cast<std::size_t>(i)] = it != by_name.end() ? it->second : fallback;
  }
  return std::make_shared<OperationSelectorRoute>(std::move(table));
}

void OperationSelectorRoute::route(const RequestPtr& req, ReplyFn done) {
  if (const auto& t = target(req->op)) {
    t->route(req, std::move(done));
    return;
  }
  done(default_reply(req->op));
}

void OperationSelectorRoute::broadcast(const RequestPtr& req, ReplyFn done) {
  if (const auto& t = target(req->op)) {
    t->broadcast(req, std::move(done));
    return;
  }
  done(default_reply(req->op));
}

void OperationSelectorRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  if (const auto& t = target(req.op)) t->collect_destinations(req, out);
}

}  // namespace mcrelay
