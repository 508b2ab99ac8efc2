#include "routes/failover_errors.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "config/suggest.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

struct ErrorName {
  std::string_view name;
  std::optional<Result> result;  // nullopt: an mcrouter result mcrelay never produces
};

// mcrouter's error results (mc_res_is_err), by the names its configs use.
constexpr std::array<ErrorName, 20> kErrorNames = {{
    {"aborted", std::nullopt},
    {"bad_cas_id", std::nullopt},
    {"bad_command", Result::bad_command},
    {"bad_exptime", std::nullopt},
    {"bad_flags", std::nullopt},
    {"bad_key", std::nullopt},
    {"bad_lease_id", std::nullopt},
    {"bad_value", std::nullopt},
    {"busy", Result::busy},
    {"client_error", Result::client_error},
    {"connect_error", Result::connect_error},
    {"connect_timeout", Result::connect_timeout},
    {"deadline_exceeded", std::nullopt},
    {"local_error", Result::local_error},
    {"ooo", std::nullopt},
    {"remote_error", Result::remote_error},
    {"shutdown", std::nullopt},
    {"timeout", Result::timeout},
    {"tko", Result::tko},
    {"try_again", std::nullopt},
}};

constexpr std::uint32_t bit(Result r) { return std::uint32_t{1} << static_cast<unsigned>(r); }

}  // namespace

bool is_failover_error(Result r) noexcept {
  switch (r) {
    case Result::busy: case Result::tko: case Result::local_error: case Result::connect_error:
    case Result::connect_timeout: case Result::timeout: case Result::remote_error:
      return true;
    default:
      return false;
  }
}

std::vector<std::string_view> FailoverErrors::valid_names() {
  std::vector<std::string_view> out;
  for (const auto& e : kErrorNames) out.push_back(e.name);
  return out;
}

FailoverErrors::Mask FailoverErrors::parse_list(const RouteFactory& f, const nlohmann::json& j,
                                                const std::string& path) {
  if (!j.is_array()) f.fail(path, fmt::format("expected a list of error names, got {}", config::describe_json(j)));
  Mask mask = 0;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string where = config::json_path_index(path, i);
    if (!j[i].is_string()) f.fail(where, fmt::format("expected an error name, got {}", config::describe_json(j[i])));
    const auto& name = j[i].get_ref<const std::string&>();
    auto it = std::find_if(kErrorNames.begin(), kErrorNames.end(), [&](const ErrorName& e) { return e.name == name; });
    if (it == kErrorNames.end()) {
      auto names = valid_names();
      if (auto match = config::closest_match(name, names)) {
        f.fail(where, fmt::format("unknown error kind {}; did you mean \"{}\"?", config::describe_json(j[i]), *match));
      }
      f.fail(where, fmt::format("unknown error kind {} (valid: {})", config::describe_json(j[i]),
                                fmt::join(names, ", ")));
    }
    if (it->result) mask |= bit(*it->result);
  }
  return mask;
}

FailoverErrors FailoverErrors::parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  FailoverErrors out;
  if (j.is_array()) {
    Mask m = parse_list(f, j, path);
    out.gets_ = out.updates_ = out.deletes_ = m;
    return out;
  }
  if (!j.is_object()) {
    f.fail(path, fmt::format("expected a list of error names or an object {{\"gets\", \"updates\", \"deletes\"}}, "
                             "got {}",
                             config::describe_json(j)));
  }
  check_keys(f, j, path, "failover_errors", {"gets", "updates", "deletes"});  // the unknown-key policy
  for (const auto& [key, value] : j.items()) {
    std::string where = config::json_path_key(path, key);
    if (key == "gets") {
      out.gets_ = parse_list(f, value, where);
    } else if (key == "updates") {
      out.updates_ = parse_list(f, value, where);
    } else if (key == "deletes") {
      out.deletes_ = parse_list(f, value, where);
    }
  }
  return out;
}

FailoverErrors FailoverErrors::per_operation(const std::vector<Result>& gets, const std::vector<Result>& updates,
                                             const std::vector<Result>& deletes) {
  auto mask = [](const std::vector<Result>& results) {
    Mask m = 0;
    for (Result r : results) m |= bit(r);
    return m;
  };
  FailoverErrors out;
  out.gets_ = mask(gets);
  out.updates_ = mask(updates);
  out.deletes_ = mask(deletes);
  return out;
}

bool FailoverErrors::should_failover(Op op, Result r) const noexcept {
  const std::optional<Mask>* mask = nullptr;
  switch (op_kind(op)) {
    case OpKind::get: mask = &gets_; break;
    case OpKind::update: mask = &updates_; break;
    case OpKind::del: mask = &deletes_; break;
    default: break;
  }
  if (mask == nullptr || !mask->has_value()) return is_failover_error(r);
  return (**mask & bit(r)) != 0;
}

}  // namespace mcrelay
