#include "routes/route_helpers.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/suggest.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

void check_keys(const RouteFactory& f, const nlohmann::json& j, const std::string& path, std::string_view type,
                std::initializer_list<std::string_view> allowed) {
  std::vector<std::string_view> known = {"type", "name"};
  known.insert(known.end(), allowed.begin(), allowed.end());
  for (const auto& [key, _] : j.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string quoted = config::describe_json(nlohmann::json(key));
    if (auto match = config::misspelt_key(key, known)) {
      f.fail(path, fmt::format("unknown key {} in {} (did you mean \"{}\"?)", quoted, type, *match));
    }
    if (allowed.size() == 0) {
      f.warn(path, fmt::format("unknown key {} in {} ignored ({} takes no options)", quoted, type, type));
    } else {
      f.warn(path, fmt::format("unknown key {} in {} ignored (known keys: {})", quoted, type,
                               fmt::join(known.begin() + 2, known.end(), ", ")));
    }
  }
}

std::int64_t get_int(const RouteFactory& f, const nlohmann::json& j, std::string_view field, const std::string& path,
                     std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto it = j.find(field);
  if (it == j.end()) return fallback;
  std::string where = fmt::format("{}.{}", path, field);
  if (!it->is_number_integer()) {
    f.fail(where, fmt::format("expected an integer, got {}", config::describe_json(*it)));
  }
  // Unsigned values beyond int64 are out of range too.
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    f.fail(where, fmt::format("{} is out of range [{}, {}]", it->dump(), min, max));
  }
  auto v = it->get<std::int64_t>();
  if (v < min || v > max) f.fail(where, fmt::format("{} is out of range [{}, {}]", v, min, max));
  return v;
}

std::vector<RouteHandlePtr> build_route_list(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (j.is_object() && !f.is_list_form(j)) return {f.build(j, path)};
  return f.build_children(j, path);
}

Reply default_reply(Op op) noexcept {
  switch (op_kind(op)) {
    case OpKind::update:
      return Reply(Result::not_stored);
    case OpKind::other:
      return Reply(Result::ok);
    default:
      return Reply(Result::not_found);
  }
}

RequestPtr make_keyed_request(Op op, std::string key) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = std::move(key);
  r->prefix_len = static_cast<std::uint16_t>(routing_prefix_length(r->key));
  return r;
}

RequestPtr make_request_for(Op op, const Request& like) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = like.key;
  r->prefix_len = like.prefix_len;
  return r;
}

RequestPtr make_store_request(Op op, const Request& like, std::uint32_t flags, std::int64_t exptime,
                              std::string value) {
  auto r = make_request_for(op, like);
  r->flags = flags;
  r->exptime = exptime;
  r->value = std::move(value);
  return r;
}

RequestPtr clone_request(const Request& r) { return r.clone(); }

}  // namespace mcrelay
