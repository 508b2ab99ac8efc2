#pragma once
// RequestParser: an I/O-free, incremental parser for memcached's ASCII protocol (client -> proxy).
//
// Contract: owned by one client session on one worker thread. The session calls parse() with all the bytes
// it has buffered and not yet consumed; the parser answers "need more", a request, a reply the proxy must
// send itself (a malformed line: memcached's exact error string, or nothing where noreply suppresses it), or
// "close". It never reads a socket and never allocates per request (views point into the caller's buffer and
// stay valid until the caller drops the consumed bytes). Acceptance rules, limits and error strings follow
// memcached 1.6's text protocol byte for byte, except where mcrelay follows mcrouter (a key over 250 bytes:
// "CLIENT_ERROR bad key"; a get without a key: "CLIENT_ERROR malformed request", then close); see
// docs/protocol.md for those and for where the proxy differs on purpose.
//
// Meta commands (mg/ms/md/ma/mn/me) dispatch from the same command table (command words of two letters
// starting with 'm'), so they slot in without changing the session's loop; so do mcrouter's lease-get,
// lease-set and metaget.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/request.hpp"

namespace mcrelay {

// memcached's KEY_MAX_LENGTH; a longer key gets mcrouter's "CLIENT_ERROR bad key" (its data block is read).
inline constexpr std::size_t kMaxKeyLength = 250;

// The next space-separated word of `line` from `pos` (runs of spaces skipped), advancing `pos` past it; empty
// at the end of the line. The get and lease-get/metaget branches walk their keys with it, since a line may
// hold more words than the tokenizer keeps.
inline std::string_view next_word(std::string_view line, std::size_t& pos) noexcept {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  std::size_t end = line.find(' ', pos);
  if (end == std::string_view::npos) end = line.size();
  std::string_view word = line.substr(pos, end - pos);
  pos = end;
  return word;
}

struct ParserLimits {
  std::size_t max_item_size = 1024 * 1024;  // value bytes; larger: "SERVER_ERROR object too large for cache"
  std::size_t max_line = 2048;              // a line with no newline past this closes the connection...
  std::size_t max_get_line = 256 * 1024;    // ...except get/gets, which memcached lets run long
  std::size_t max_keys_per_get = 65536;     // more keys than this in one get: CLIENT_ERROR
};

enum class ParseStatus : std::uint8_t {
  need_more,  // nothing consumed; call again with more bytes (result.need says how many at least)
  request,    // a request; see parsed()
  reply,      // send parsed().reply (may be empty: suppressed by noreply); no request to route
  skip,       // bytes consumed (discarded data of a rejected value); nothing to send
  close,      // close the connection after flushing earlier replies and parsed().reply (may be empty)
  shutdown,   // the `shutdown` command (parsed().args: its mode); the session serves or refuses it
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  std::size_t consumed = 0;  // bytes of the input this result used up
  std::size_t need = 0;      // need_more: total bytes the next call should have, when known
};

struct ParsedRequest {
  Op op = Op::get;
  bool noreply = false;
  std::uint32_t flags = 0;
  std::int32_t exptime = 0;
  std::uint64_t cas_unique = 0;       // cas; lease-set: the lease token
  std::uint64_t delta = 0;
  std::string_view key;               // single-key commands
  std::vector<std::string_view> keys; // get/gets/gat/gats/lease-get/metaget: every key in order (duplicates kept)
  std::string_view value;             // storage commands, lease-set: the data block, without its "\r\n"
  // ms only: the two bytes after the data block when they are not "\r\n". memcached reports an error in
  // the flags before a bad data chunk and reads the same bytes either way, so the server judges it.
  std::string_view value_end;
  std::string_view args;              // flush_all delay, verbosity level, stats arguments
  std::string_view reply;             // status == reply: the bytes to send ("" when suppressed)
  // status == reply for a set whose value was too large: memcached also drops the stale item so a later
  // get cannot return the old value; the session forwards a delete of this key.
  std::string_view invalidate_key;
  // Meta commands: the flags after the key (and the data length for ms) with the quiet flag removed,
  // whether the client asked for quiet mode, and the decoded key when flag b is present.
  std::string meta_flags;
  bool quiet = false;
  bool base64_key = false;
  std::string decoded_key;
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  ParseResult parse(std::string_view input);
  const ParsedRequest& parsed() const noexcept { return parsed_; }
  const ParserLimits& limits() const noexcept { return limits_; }

 private:
  ParseResult parse_line(std::string_view input, std::string_view line, std::size_t line_size);
  ParseResult finish_reply(std::size_t consumed, std::string_view text);
  // tokens[0..ntokens-1] are the real tokens (memcached's ntokens is ntokens + 1).
  ParseResult parse_meta(std::string_view input, std::size_t line_size, Op op, const std::string_view* tokens,
                         std::size_t ntokens);
  // mcrouter's lease-get and metaget (keys as for get) and lease-set (lease_request_parser.cpp).
  ParseResult parse_lease_command(std::string_view input, std::string_view line, std::size_t line_size,
                                  const std::string_view* tokens, std::size_t ntokens);

  ParserLimits limits_;
  ParsedRequest parsed_;
  std::size_t swallow_ = 0;  // bytes still to discard after a rejected data block
};

}  // namespace mcrelay
