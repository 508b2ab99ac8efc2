#include "routes/blackhole_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/null_route.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// The value of a request field as mcrouter's visitor sees it; monostate when the request has no such field.
struct FieldValue {
  enum class Kind : std::uint8_t { absent, number, string, uncomparable } kind = Kind::absent;
  double number = 0;
  std::string_view string;
};

FieldValue field_of(const Request& req, std::string_view field) {
  FieldValue v;
  auto number = [&](double n) {
    v.kind = FieldValue::Kind::number;
    v.number = n;
  };
  if (field == "key") {
    v.kind = FieldValue::Kind::string;
    v.string = req.key;
  } else if (field == "exptime" && has_exptime(req.op)) {
    number(static_cast<double>(req.exptime));
  } else if (field == "flags" && is_storage(req.op)) {
    number(static_cast<double>(req.flags));
  } else if (field == "delta" && (req.op == Op::incr || req.op == Op::decr)) {
    number(static_cast<double>(req.delta));
  } else if (field == "value" && is_storage(req.op)) {
    v.kind = FieldValue::Kind::uncomparable;  // an IOBuf in mcrouter: never compared
  }
  return v;
}

// One policy on a present field. Like mcrouter, a value of a type the field cannot be compared with is false
// (for "equals" and "not_equals" alike).
bool matches(const BlackholeRoute::Policy& p, const FieldValue& v) {
  bool eq = false;
  if (v.kind == FieldValue::Kind::string) {
    if (!p.value.is_string()) return false;
    eq = p.value.get_ref<const std::string&>() == v.string;
  } else if (v.kind == FieldValue::Kind::number) {
    if (p.value.is_boolean()) {
      eq = p.value.get<bool>() == (v.number != 0);
    } else if (p.value.is_number()) {
      eq = p.value.get<double>() == v.number;
    } else {
      return false;
    }
  } else {
    return false;
  }
  return p.equals ? eq : !eq;
}

}  // namespace

RouteHandlePtr BlackholeRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "BlackholeRoute needs an object with \"default\" and \"policies\"");
  check_keys(f, j, path, "BlackholeRoute", {"default", "policies", "blackhole_child"});
  auto default_route = f.build(f.require(j, "default", path), path + ".default");
  RouteHandlePtr blackhole = std::make_shared<NullRoute>();
  if (auto it = j.find("blackhole_child"); it != j.end()) blackhole = f.build(*it, path + ".blackhole_child");
  const auto& policies = f.require(j, "policies", path);
  const std::string ppath = path + ".policies";
  if (!policies.is_object()) f.fail(ppath, fmt::format("expected an object, got {}", config::describe_json(policies)));
  std::vector<FieldPolicies> fields;
  for (const auto& [field, list] : policies.items()) {
    const std::string fpath = ppath + "." + field;
    if (!list.is_array()) f.fail(fpath, "the policies of a field must be a list");
    FieldPolicies fp{field, {}};
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& p = list[i];
      const std::string at = fmt::format("{}[{}]", fpath, i);
      if (!p.is_object()) f.fail(at, "a policy must be an object {\"op\": ..., \"value\": ...}");
      const auto op = f.get_string(p, "op", at);
      if (!p.contains("op")) f.fail(at, "a policy needs \"op\" (\"equals\" or \"not_equals\")");
      if (op != "equals" && op != "not_equals") {
        f.fail(at + ".op", fmt::format("expected \"equals\" or \"not_equals\", got \"{}\"", op));
      }
      fp.policies.push_back(Policy{op == "equals", f.require(p, "value", at)});
    }
    fields.push_back(std::move(fp));
  }
  return std::make_shared<BlackholeRoute>(std::move(default_route), std::move(blackhole), std::move(fields));
}

bool BlackholeRoute::should_blackhole(const Request& req) const {
  for (const auto& fp : policies_) {
    FieldValue v = field_of(req, fp.field);
    if (v.kind == FieldValue::Kind::absent) continue;
    bool any = false;
    for (const auto& p : fp.policies) any = any || matches(p, v);
    if (!any) return false;
  }
  return true;
}

void BlackholeRoute::route(const RequestPtr& req, ReplyFn done) {
  (should_blackhole(*req) ? blackhole_ : default_)->route(req, std::move(done));
}

}  // namespace mcrelay
