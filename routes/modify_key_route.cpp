#include "routes/modify_key_route.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/routing_prefix.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

constexpr std::size_t kKeyMaxLength = 250;  // memcached's KEY_MAX_LENGTH

// Why `s` cannot be part of a key ("" if it can): mcrouter's isKeyValid with its space/control check.
std::string key_part_problem(std::string_view s) {
  if (s.size() > kKeyMaxLength) return "key too long";
  for (unsigned char c : s) {
    if (c <= ' ' || c == 0x7f) return "key contains space or control character";
  }
  return "";
}

}  // namespace

RouteHandlePtr ModifyKeyRoute::build(RouteFactory& f, const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) f.fail(path, "ModifyKeyRoute needs an object with \"target\"");
  check_keys(f, j, path, "ModifyKeyRoute",
             {"target", "set_routing_prefix", "ensure_key_prefix", "replace_key_prefix", "modify_inplace"});
  auto target = f.build(f.require(j, "target", path), path + ".target");
  std::optional<std::string> routing_prefix;
  if (j.contains("set_routing_prefix")) {
    routing_prefix = f.get_string(j, "set_routing_prefix", path);
    if (!routing_prefix->empty()) {
      try {
        config::validate_routing_prefix(*routing_prefix);
      } catch (const std::invalid_argument& e) {
        f.fail(path + ".set_routing_prefix", fmt::format("invalid routing prefix \"{}\": {}", *routing_prefix, e.what()));
      }
    }
  }
  std::string key_prefix = f.get_string(j, "ensure_key_prefix", path);
  if (auto why = key_part_problem(key_prefix); !why.empty()) {
    f.fail(path + ".ensure_key_prefix", fmt::format("invalid key prefix \"{}\": {}", key_prefix, why));
  }
  std::optional<std::string> replace;
  if (j.contains("replace_key_prefix")) {
    replace = f.get_string(j, "replace_key_prefix", path);
    if (auto why = key_part_problem(*replace); !why.empty()) {
      f.fail(path + ".replace_key_prefix", fmt::format("invalid key prefix \"{}\": {}", *replace, why));
    }
  }
  bool inplace = false;
  if (j.contains("modify_inplace")) {
    if (replace) f.fail(path, "replace_key_prefix and modify_inplace cannot be used together");
    inplace = f.get_bool(j, "modify_inplace", path, false);
  }
  return std::make_shared<ModifyKeyRoute>(std::move(target), std::move(routing_prefix), std::move(key_prefix),
                                          inplace, std::move(replace));
}

std::optional<ModifyKeyRoute::NewKey> ModifyKeyRoute::modified_key(const Request& req) const {
  const std::string_view key = req.key;
  const std::string_view own_rp = key.substr(0, req.prefix_len);
  std::string_view rest = key.substr(req.prefix_len);
  const std::string_view rp = routing_prefix_ ? std::string_view(*routing_prefix_) : own_rp;
  auto make = [&](std::string_view tail, std::string_view prefix) {
    return NewKey{fmt::format("{}{}{}", rp, prefix, tail), rp.size()};
  };
  if (replace_prefix_ && rest.starts_with(*replace_prefix_)) return make(rest.substr(replace_prefix_->size()), key_prefix_);
  if (!rest.starts_with(key_prefix_)) {
    if (modify_inplace_ && rest.size() >= key_prefix_.size()) rest.remove_prefix(key_prefix_.size());
    return make(rest, key_prefix_);
  }
  if (routing_prefix_ && rp != own_rp) return make(rest, "");
  return std::nullopt;
}

RequestPtr ModifyKeyRoute::with_key(const Request& req, NewKey key) const {
  RequestPtr copy = clone_request(req);
  copy->key = std::move(key.key);
  copy->prefix_len = static_cast<std::uint16_t>(key.prefix_len);
  return copy;
}

void ModifyKeyRoute::route(const RequestPtr& req, ReplyFn done) {
  auto key = modified_key(*req);
  if (!key) {
    target_->route(req, std::move(done));
    return;
  }
  if (auto why = key_part_problem(key->key); !why.empty()) {
    done(Reply::error(Result::local_error, fmt::format("ModifyKeyRoute: invalid key: {}", why)));
    return;
  }
  target_->route(with_key(*req, std::move(*key)), std::move(done));
}

void ModifyKeyRoute::collect_destinations(const Request& req, std::vector<std::string>& out) const {
  auto key = modified_key(req);
  if (!key) {
    target_->collect_destinations(req, out);
    return;
  }
  target_->collect_destinations(*with_key(req, std::move(*key)), out);
}

}  // namespace mcrelay
