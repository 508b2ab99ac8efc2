#include "routes/failover_exptime_settings.hpp"

#include <array>
#include <vector>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// Whether one kind of error fails over, per operation class.
struct Switch {
  bool gets = true;
  bool updates = true;
  bool deletes = false;
};

bool get_switch_bool(const RouteFactory& f, const nlohmann::json& j, const char* key, const std::string& path,
                     bool fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) {
    f.fail(config::json_path_key(path, key), fmt::format("expected true or false, got {}", config::describe_json(*it)));
  }
  return it->get<bool>();
}

// mcrouter's OperationSettings::override: a bool sets all three classes, an object the classes it names.
void override_switch(const RouteFactory& f, const nlohmann::json& j, const std::string& path, Switch& s) {
  if (j.is_boolean()) {
    s.gets = s.updates = s.deletes = j.get<bool>();
    return;
  }
  if (!j.is_object()) {
    f.fail(path, fmt::format("expected true, false or an object {{\"gets\", \"updates\", \"deletes\"}}, got {}",
                             config::describe_json(j)));
  }
  check_keys(f, j, path, "a failover switch", {"gets", "updates", "deletes"});
  s.gets = get_switch_bool(f, j, "gets", path, s.gets);
  s.updates = get_switch_bool(f, j, "updates", path, s.updates);
  s.deletes = get_switch_bool(f, j, "deletes", path, s.deletes);
}

}  // namespace

FailoverExptimeSettings parse_failover_exptime_settings(const RouteFactory& f, const nlohmann::json& j,
                                                        const std::string& path) {
  if (!j.is_object()) f.fail(path, fmt::format("expected an object, got {}", config::describe_json(j)));
  check_keys(f, j, path, "FailoverWithExptimeRoute settings",
             {"gets", "updates", "deletes", "tko", "connectTimeout", "dataTimeout", "failover_tag"});
  // The object's own gets/updates/deletes are every switch's defaults.
  Switch defaults;
  defaults.gets = get_switch_bool(f, j, "gets", path, defaults.gets);
  defaults.updates = get_switch_bool(f, j, "updates", path, defaults.updates);
  defaults.deletes = get_switch_bool(f, j, "deletes", path, defaults.deletes);

  struct Kind {
    const char* key;
    std::vector<Result> errors;  // mcrouter's lists, less the results mcrelay never produces (try_again)
    Switch on;
  };
  std::array<Kind, 3> kinds = {{
      {"tko", {Result::tko, Result::connect_error, Result::busy}, defaults},
      {"connectTimeout", {Result::connect_timeout}, defaults},
      {"dataTimeout", {Result::timeout, Result::remote_error}, defaults},
  }};
  std::vector<Result> gets, updates, deletes;
  for (auto& kind : kinds) {
    if (auto it = j.find(kind.key); it != j.end()) {
      override_switch(f, *it, config::json_path_key(path, kind.key), kind.on);
    }
    if (kind.on.gets) gets.insert(gets.end(), kind.errors.begin(), kind.errors.end());
    if (kind.on.updates) updates.insert(updates.end(), kind.errors.begin(), kind.errors.end());
    if (kind.on.deletes) deletes.insert(deletes.end(), kind.errors.begin(), kind.errors.end());
  }
  FailoverExptimeSettings out;
  out.errors = FailoverErrors::per_operation(gets, updates, deletes);
  out.failover_tag = get_switch_bool(f, j, "failover_tag", path, false);
  return out;
}

}  // namespace mcrelay
