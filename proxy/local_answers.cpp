#include "proxy/local_answers.hpp"

#include "proxy/options.hpp"

namespace mcrelay {

RootSettings root_settings(const Options& options, std::string route_prefix) {
  RootSettings s;
  s.default_prefix = std::move(route_prefix);
  s.big_value_split_threshold = options.big_value_split_threshold;
  s.allow_only_gets = options.allow_only_gets;
  s.send_invalid_route_to_default = options.send_invalid_route_to_default;
  s.miss_on_get_errors = options.miss_on_get_errors;
  s.miss_on_arith_errors = !options.disable_miss_on_arith_errors;
  s.enable_flush_cmd = options.enable_flush_cmd;
  return s;
}

std::string_view shutdown_reply(const Options& options, std::string_view mode) noexcept {
  if (!options.enable_shutdown_cmd) return kShutdownDisabled;  // memcached checks this first, too
  if (!mode.empty() && mode != "graceful") return kBadShutdownMode;
  return {};
}

void apply_miss_on_get_errors(const Options& options, Reply& reply) noexcept {
  apply_miss_on_get_errors(root_settings(options), reply);
}

void apply_miss_on_arith_errors(const Options& options, Op op, Reply& reply) noexcept {
  apply_miss_on_arith_errors(root_settings(options), op, reply);
}

}  // namespace mcrelay
