#include "routes/operation_selector_route.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/suggest.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// Every operation name operation_policies accepts (mcrouter's), sorted.
constexpr std::array<std::string_view, 22> kOperationNames = {
    "add",      "append", "cas",     "decr",     "delete",    "flushall",  "gat",     "gats",
    "get",      "gets",   "incr",    "lease-get", "lease-set", "metaget",  "prepend", "quit",
    "replace",  "set",    "stats",   "touch",    "verbosity", "version",
};

}  // namespace

std::string_view OperationSelectorRoute::policy_name(Op op) noexcept {
  switch (op) {
    case Op::get: case Op::mg: return "get";
    case Op::gets: return "gets";
    case Op::gat: return "gat";
    case Op::gats: return "gats";
    case Op::set: case Op::ms: return "set";
    case Op::add: return "add";
    case Op::replace: return "replace";
    case Op::append: return "append";
    case Op::prepend: return "prepend";
    case Op::cas: return "cas";
    case Op::delete_: case Op::md: return "delete";
    case Op::incr: case Op::ma: return "incr";
    case Op::decr: return "decr";
    case Op::touch: return "touch";
    case Op::flush_all: return "flushall";
    case Op::version: return "version";
    case Op::verbosity: return "verbosity";
    case Op::stats: return "stats";
    case Op::quit: return "quit";
    case Op::me: case Op::metaget: return "metaget";
    case Op::lease_get: return "lease-get";
    case Op::lease_set: return "lease-set";
    case Op::mn: return "";
  }
  return "";
}

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
      if (std::find(kOperationNames.begin(), kOperationNames.end(), name) == kOperationNames.end()) {
        if (auto match = config::closest_match(name, kOperationNames)) {
          f.fail(at, fmt::format("unknown operation {}; did you mean \"{}\"?", config::describe_json(nlohmann::json(name)),
                                 *match));
        }
        f.fail(at, fmt::format("unknown operation {} (valid: {})", config::describe_json(nlohmann::json(name)),
                               fmt::join(kOperationNames, ", ")));
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
