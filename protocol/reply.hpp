#pragma once
// Reply: the outcome of one routed Request, as route handles see it.
//
// Contract: produced by destinations (from the upstream reply parser, or locally for timeouts/connection
// errors) and by route handles (NullRoute, ErrorRoute, merges); consumed by parent route handles and finally
// serialized for the client by reply_writer. Lives on one worker thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/request.hpp"

namespace mcrelay {

// Outcomes in mcrouter's vocabulary, so merge and failover rules read like mcrouter's.
enum class Result : std::uint8_t {
  // Normal outcomes.
  found,        // get hit (value, flags, cas set); incr/decr success (value holds the number)
  not_found,    // get miss; delete/touch/incr/cas on a missing key
  stored,
  not_stored,
  exists,       // cas mismatch
  deleted,
  touched,
  ok,           // flush_all, verbosity
  // Errors reported by the server itself.
  remote_error,  // "SERVER_ERROR <msg>" from memcached (value holds <msg>)
  client_error,  // "CLIENT_ERROR <msg>" (value holds <msg>)
  bad_command,   // "ERROR"
  // Errors produced by the proxy on a server's behalf (value holds the reason).
  local_error,
  connect_error,
  connect_timeout,
  timeout,
  tko,           // destination marked down: failed without trying
  busy,          // proxy-side limit (e.g. too many outstanding requests)
};

std::string_view result_name(Result r) noexcept;

// The Result of a meta reply code ("HD", "VA", "EN", "NF", "NS", "EX", "ME") for the command it answers.
Result meta_result(Op op, std::string_view code) noexcept;

inline bool is_error(Result r) noexcept { return r >= Result::remote_error; }
// Errors that say nothing reached (or came back from) the server: what failover reacts to by default.
inline bool is_transport_error(Result r) noexcept {
  return r == Result::local_error || r == Result::connect_error || r == Result::connect_timeout ||
         r == Result::timeout || r == Result::tko || r == Result::busy;
}
inline bool is_hit(Result r) noexcept { return r == Result::found; }
inline bool is_miss(Result r) noexcept { return r == Result::not_found; }

struct Reply {
  Result result = Result::local_error;
  std::uint32_t flags = 0;   // client flags of a hit
  std::uint64_t cas = 0;     // cas unique of a hit (gets/gats); lease-get miss: the client's lease token
  std::int64_t exptime = 0;  // metaget hit: absolute expiry time (0: never)
  std::string value;         // hit data / incr result / error message; metaget hit: the server's address
  std::string meta_line;     // meta reply from a server: its status line as sent ("VA 5 f0 Oab"), sans CRLF

  Reply() = default;
  explicit Reply(Result r) : result(r) {}
  Reply(Result r, std::string v) : result(r), value(std::move(v)) {}

  static Reply error(Result r, std::string_view why) { return Reply(r, std::string(why)); }
};

}  // namespace mcrelay
