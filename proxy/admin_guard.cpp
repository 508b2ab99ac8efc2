#include "proxy/admin_guard.hpp"

#include <array>

#include <fmt/format.h>

namespace mcrelay {

namespace {

std::string_view first_word(std::string_view s, std::string_view* rest = nullptr) noexcept {
  auto start = s.find_first_not_of(' ');
  if (start == std::string_view::npos) return {};
  s.remove_prefix(start);
  auto end = s.find(' ');
  if (rest != nullptr) *rest = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  return s.substr(0, end);
}

}  // namespace

std::optional<std::string> admin_key_disabled(std::string_view cmd, std::size_t nargs) {
  static constexpr std::array<std::string_view, 7> kRevealing = {
      "config", "config_file", "config_sources_info", "preprocessed_config", "options", "route", "route_handles"};
  for (auto name : kRevealing) {
    if (cmd == name) {
      return fmt::format("{} reveals the config or the servers; start mcrelay with --enable-admin-keys", cmd);
    }
  }
  if (cmd == "verbosity" && nargs > 0) {
    return "verbosity(<level>) changes the log level; start mcrelay with --enable-admin-keys";
  }
  return std::nullopt;
}

bool stats_needs_admin_keys(std::string_view args) noexcept {
  std::string_view rest;
  auto group = first_word(args, &rest);
  if (group == "servers" || group == "suspect_servers" || group == "destinations") return true;
  bool server_group = group == "settings" || group == "items" || group == "slabs" || group == "sizes";
  return server_group && !first_word(rest).empty();
}

std::string hide_server_addresses(std::string_view group, std::string reply) {
  if (first_word(group) != "settings") return reply;
  constexpr std::string_view kInter = "STAT inter ";
  for (auto at = reply.find(kInter); at != std::string::npos; at = reply.find(kInter, at)) {
    if (at != 0 && reply[at - 1] != '\n') {
      at += kInter.size();
      continue;
    }
    auto eol = reply.find("\r\n", at);
    reply.erase(at, eol == std::string::npos ? std::string::npos : eol + 2 - at);
  }
  return reply;
}

}  // namespace mcrelay
