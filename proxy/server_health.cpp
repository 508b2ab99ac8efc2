#include "proxy/server_health.hpp"

namespace mcrelay {

std::string_view ServerHealth::last_failure() const noexcept {
  switch (static_cast<Result>(last_failure_.load(std::memory_order_relaxed))) {
    case Result::connect_error: return "connect error";
    case Result::connect_timeout: return "connect timeout";
    case Result::timeout: return "reply timeout";
    default: return "server error";
  }
}

std::string ServerHealth::unavailable_message() const {
  std::string s = "Server unavailable. Reason: ";
  s += last_failure();
  return s;
}

ServerHealth& HealthRegistry::get(const std::string& name, const std::string& host, std::uint16_t port) {
  std::lock_guard lock(mu_);
  auto& h = by_name_[name];
  if (!h) h = std::make_unique<ServerHealth>(name, host, port, threshold_);
  return *h;
}

std::map<std::string, ServerHealth*> HealthRegistry::all() const {
  std::lock_guard lock(mu_);
  std::map<std::string, ServerHealth*> out;
  for (const auto& [name, h] : by_name_) out.emplace(name, h.get());
  return out;
}

}  // namespace mcrelay
