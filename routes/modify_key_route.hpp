#pragma once
// ModifyKeyRoute {target, set_routing_prefix, ensure_key_prefix, replace_key_prefix, modify_inplace}:
// rewrites the key of requests on their way to `target` (mcrouter's ModifyKeyRoute).
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on the
// owning worker thread and never throw. The request is copied when its key changes, never modified in place.
//
// Semantics, with rp = set_routing_prefix if given else the key's own routing prefix, and rest = the key
// without its routing prefix:
//   - replace_key_prefix given and rest starts with it: rp + ensure_key_prefix + rest minus that prefix;
//   - else rest does not start with ensure_key_prefix: rp + ensure_key_prefix + rest (with modify_inplace,
//     the first size(ensure_key_prefix) characters of rest are overwritten instead, when rest is that long);
//   - else set_routing_prefix given and differs from the key's: rp + rest;
//   - else the key is unchanged.
// A resulting key longer than 250 bytes is answered "SERVER_ERROR ModifyKeyRoute: invalid key: key too long"
// without reaching the target. replace_key_prefix and modify_inplace cannot be used together.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class ModifyKeyRoute final : public RouteHandle {
 public:
  ModifyKeyRoute(RouteHandlePtr target, std::optional<std::string> routing_prefix, std::string key_prefix,
                 bool modify_inplace, std::optional<std::string> replace_prefix)
      : target_(std::move(target)),
        routing_prefix_(std::move(routing_prefix)),
        key_prefix_(std::move(key_prefix)),
        modify_inplace_(modify_inplace),
        replace_prefix_(std::move(replace_prefix)) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "ModifyKeyRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override { target_->broadcast(req, std::move(done)); }
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

  // The new key (routing prefix included) and its routing prefix length; nullopt when unchanged.
  struct NewKey {
    std::string key;
    std::size_t prefix_len = 0;
  };
  std::optional<NewKey> modified_key(const Request& req) const;

 private:
  RequestPtr with_key(const Request& req, NewKey key) const;

  RouteHandlePtr target_;
  std::optional<std::string> routing_prefix_;
  std::string key_prefix_;
  bool modify_inplace_;
  std::optional<std::string> replace_prefix_;
};

}  // namespace mcrelay
