#pragma once
// FailoverErrors: which error replies make a failover route try its next child (mcrouter's
// FailoverErrorsSettings, the "failover_errors" key of FailoverRoute, LatestRoute and
// FailoverWithExptimeRoute).
//
// Contract: parsed by build() at config load (throws ConfigError via RouteFactory::fail); queried on the
// worker thread (should_failover never throws).
//
// JSON: absent (mcrouter's default set, see is_failover_error), a list of error names applied to every
// operation (["connect_error", "connect_timeout", "timeout", "tko", "remote_error"]), or an object
// {"gets": [...], "updates": [...], "deletes": [...]} with a list per operation class (a missing class keeps
// the default; other operations, e.g. arithmetic and touch, always use the default). Names are mcrouter's
// result names without "mc_res_". Names mcrouter accepts for results mcrelay never produces (try_again,
// shutdown, bad_key, ...) are accepted and simply never match.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

class RouteFactory;

// mcrouter's isFailoverErrorResult: the errors worth retrying elsewhere: busy, tko, local_error,
// connect_error, connect_timeout, timeout and remote_error (SERVER_ERROR from memcached). A miss is not an
// error; client_error and bad_command are not retried (the request would fail the same way everywhere).
bool is_failover_error(Result r) noexcept;

class FailoverErrors {
 public:
  FailoverErrors() = default;  // the default set for every operation

  static FailoverErrors parse(const RouteFactory& f, const nlohmann::json& j, const std::string& path);
  // The given errors per operation class (FailoverWithExptimeRoute's old "settings" build theirs this way);
  // other operations keep the default set.
  static FailoverErrors per_operation(const std::vector<Result>& gets, const std::vector<Result>& updates,
                                      const std::vector<Result>& deletes);

  bool should_failover(Op op, Result r) const noexcept;

  // Every name "failover_errors" accepts, sorted (for error messages and tests).
  static std::vector<std::string_view> valid_names();

 private:
  using Mask = std::uint32_t;  // bit i: Result i
  static_assert(static_cast<int>(Result::busy) < 32);

  static Mask parse_list(const RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::optional<Mask> gets_, updates_, deletes_;
};

}  // namespace mcrelay
