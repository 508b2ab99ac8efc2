#include "protocol/request_parser.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string>

#include "protocol/base64.hpp"
#include "protocol/numbers.hpp"

namespace mcrelay {
namespace {

constexpr std::size_t kMaxTokens = 24;       // memcached's MAX_TOKENS (real tokens + the terminal one)
constexpr std::size_t kKeyMaxLength = kMaxKeyLength;

constexpr std::string_view kError = "ERROR\r\n";
constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
constexpr std::string_view kBadExptime = "CLIENT_ERROR invalid exptime argument\r\n";
constexpr std::string_view kBadDelta = "CLIENT_ERROR invalid numeric delta argument\r\n";
constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
constexpr std::string_view kDeleteUsage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
constexpr std::string_view kTooManyKeys = "CLIENT_ERROR too many keys in one get\r\n";
// mcrouter's replies where it differs from memcached (docs/protocol.md, "Where mcrelay follows mcrouter").
constexpr std::string_view kBadKey = "CLIENT_ERROR bad key\r\n";
constexpr std::string_view kMalformed = "CLIENT_ERROR malformed request\r\n";

// memcached's tokenizer: split on single spaces (runs of spaces produce no empty tokens), at most
// kMaxTokens - 1 real tokens; `n` counts the terminal token too, as memcached's ntokens does.
struct Tokens {
  std::array<std::string_view, kMaxTokens> tok{};
  std::size_t n = 0;
};

void tokenize(std::string_view line, Tokens& t) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    t.tok[count++] = line.substr(i, j - i);
    i = j;
    if (count == kMaxTokens - 1) break;
  }
  t.n = count + 1;
}

bool is_noreply(const Tokens& t) noexcept { return t.n >= 2 && t.tok[t.n - 2] == "noreply"; }

}  // namespace

ParseResult RequestParser::finish_reply(std::size_t consumed, std::string_view text) {
  parsed_.reply = parsed_.noreply ? std::string_view{} : text;
  return {ParseStatus::reply, consumed, 0};
}

ParseResult RequestParser::parse(std::string_view input) {
  parsed_.reply = {};
  if (swallow_ > 0) {
    std::size_t n = std::min(swallow_, input.size());
    swallow_ -= n;
    if (n == 0) return {ParseStatus::need_more, 0, 1};
    return {ParseStatus::skip, n, 0};
  }
  if (input.empty()) return {ParseStatus::need_more, 0, 1};

  const char* nl = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
  if (nl == nullptr) {
    if (input.size() > limits_.max_line) {
      // memcached: no newline in the first 2 KiB is junk unless it is a long multi-get.
      std::size_t p = 0;
      while (p < input.size() && input[p] == ' ') ++p;
      std::string_view rest = input.substr(p);
      // mcrouter's lease-get and metaget take keys as get does, so they may run as long.
      bool is_get = rest.starts_with("get ") || rest.starts_with("gets ") || rest.starts_with("lease-get ") ||
                    rest.starts_with("metaget ");
      if (p > 100 || !is_get || input.size() > limits_.max_get_line) {
        return {ParseStatus::close, input.size(), 0};
      }
    }
    return {ParseStatus::need_more, 0, input.size() + 1};
  }
  std::size_t line_size = static_cast<std::size_t>(nl - input.data()) + 1;  // including '\n'
  std::size_t len = line_size - 1;
  if (len > 1 && input[len - 1] == '\r') --len;
  // memcached reads the command line as a C string: whatever follows a NUL byte is not part of the command
  // (its data block, if any, is framed by the truncated line alone).
  if (const void* nul = std::memchr(input.data(), '\0', len); nul != nullptr) {
    len = static_cast<std::size_t>(static_cast<const char*>(nul) - input.data());
  }
  return parse_line(input, input.substr(0, len), line_size);
}

ParseResult RequestParser::parse_line(std::string_view input, std::string_view line, std::size_t line_size) {
  ParsedRequest& p = parsed_;
  p.noreply = false;
  p.key = {};
  p.keys.clear();
  p.value = {};
  p.value_end = {};
  p.args = {};
  p.reply = {};
  p.invalidate_key = {};
  p.flags = 0;
  p.exptime = 0;
  p.cas_unique = 0;
  p.delta = 0;

  Tokens t;
  tokenize(line, t);
  if (t.n < 2 || t.tok[0].size() < 2) return finish_reply(line_size, kError);
  const std::string_view cmd = t.tok[0];

  auto request = [&](Op op) {
    p.op = op;
    return ParseResult{ParseStatus::request, line_size, 0};
  };

  // --- retrieval: get, gets, gat, gats -------------------------------------------------------------
  if (cmd[0] == 'g') {
    Op op;
    if (cmd == "get") op = Op::get;
    else if (cmd == "gets") op = Op::gets;
    else if (cmd == "gat") op = Op::gat;
    else if (cmd == "gats") op = Op::gats;
    else return finish_reply(line_size, kError);
    // Walk every key on the line (memcached re-tokenizes past 23 tokens; the result is the same).
    std::size_t pos = static_cast<std::size_t>(cmd.data() + cmd.size() - line.data());
    bool touch = op == Op::gat || op == Op::gats;
    bool first = true;
    for (std::string_view tok = next_word(line, pos); !tok.empty(); tok = next_word(line, pos)) {
      if (touch && first) {
        first = false;
        if (!parse_i32_like_memcached(tok, p.exptime)) return finish_reply(line_size, kBadExptime);
        continue;
      }
      // A key over kMaxKeyLength stays in the list: the session answers it (mcrouter's per-key "bad key").
      if (p.keys.size() >= limits_.max_keys_per_get) {
        p.keys.clear();
        return finish_reply(line_size, kTooManyKeys);
      }
      p.keys.push_back(tok);
    }
    if (p.keys.empty()) {
      // mcrouter: a retrieval without a key is a parse error, answered and then the connection is closed
      // (memcached says ERROR, or END for "gat <exptime>", and goes on).
      p.reply = kMalformed;
      return {ParseStatus::close, line_size, 0};
    }
    return request(op);
  }

  // --- meta commands: two letters starting with 'm' -----------------------------------------------------
  if (cmd[0] == 'm' && cmd.size() == 2) {
    Op op;
    switch (cmd[1]) {
      case 'n': return request(Op::mn);
      case 'g': op = Op::mg; break;
      case 's': op = Op::ms; break;
      case 'd': op = Op::md; break;
      case 'a': op = Op::ma; break;
      case 'e': op = Op::me; break;
      default: return finish_reply(line_size, kError);
    }
    return parse_meta(input, line_size, op, t.tok.data(), t.n - 1);
  }

  // --- mcrouter's lease-get, lease-set, metaget (lease_request_parser.cpp) -------------------------------
  if (cmd == "lease-get" || cmd == "lease-set" || cmd == "metaget") {
    return parse_lease_command(input, line, line_size, t.tok.data(), t.n - 1);
  }

  // --- storage: set, add, replace, append, prepend, cas ------------------------------------------------
  Op storage_op;
  bool is_storage_cmd = true;
  if (cmd == "set") storage_op = Op::set;
  else if (cmd == "add") storage_op = Op::add;
  else if (cmd == "replace") storage_op = Op::replace;
  else if (cmd == "append") storage_op = Op::append;
  else if (cmd == "prepend") storage_op = Op::prepend;
  else if (cmd == "cas") storage_op = Op::cas;
  else is_storage_cmd = false;

  if (is_storage_cmd) {
    bool with_cas = storage_op == Op::cas;
    std::size_t want = with_cas ? 7 : 6;
    if (t.n != want && t.n != want + 1) return finish_reply(line_size, kError);
    p.noreply = is_noreply(t);
    std::int32_t vlen = 0;
    if (!(parse_u32_like_memcached(t.tok[2], p.flags) && parse_i32_like_memcached(t.tok[3], p.exptime) &&
          parse_i32_like_memcached(t.tok[4], vlen))) {
      return finish_reply(line_size, kBadFormat);
    }
    if (with_cas && !parse_u64_like_memcached(t.tok[5], p.cas_unique)) return finish_reply(line_size, kBadFormat);
    if (vlen < 0 || vlen > 0x7fffffff - 2) return finish_reply(line_size, kBadFormat);
    std::size_t n = static_cast<std::size_t>(vlen);
    if (t.tok[1].size() > kKeyMaxLength) {
      // mcrouter reads the data block of a request whose key is too long, then refuses it.
      swallow_ = n + 2;
      return finish_reply(line_size, kBadKey);
    }
    if (n > limits_.max_item_size) {
      // Reply now, then discard the data block as it arrives (the connection stays in sync).
      swallow_ = n + 2;
      p.op = storage_op;
      if (storage_op == Op::set) p.invalidate_key = t.tok[1];
      return finish_reply(line_size, kTooLarge);
    }
    std::size_t total = line_size + n + 2;
    if (input.size() < total) return {ParseStatus::need_more, 0, total};
    std::string_view data = input.substr(line_size, n + 2);
    if (data[n] != '\r' || data[n + 1] != '\n') return finish_reply(total, kBadDataChunk);
    p.key = t.tok[1];
    p.value = data.substr(0, n);
    p.op = storage_op;
    return {ParseStatus::request, total, 0};
  }

  // --- single-key commands -----------------------------------------------------------------------------
  if (cmd == "delete") {
    if (t.n < 3 || t.n > 5) return finish_reply(line_size, kError);
    if (t.n > 3) {
      bool hold_is_zero = t.tok[2] == "0";
      p.noreply = is_noreply(t);
      bool valid = (t.n == 4 && (hold_is_zero || p.noreply)) || (t.n == 5 && hold_is_zero && p.noreply);
      if (!valid) return finish_reply(line_size, kDeleteUsage);
    }
    if (t.tok[1].size() > kKeyMaxLength) return finish_reply(line_size, kBadKey);
    p.key = t.tok[1];
    return request(Op::delete_);
  }
  if (cmd == "incr" || cmd == "decr") {
    if (t.n != 4 && t.n != 5) return finish_reply(line_size, kError);
    p.noreply = is_noreply(t);
    if (!parse_u64_like_memcached(t.tok[2], p.delta)) return finish_reply(line_size, kBadDelta);
    if (t.tok[1].size() > kKeyMaxLength) return finish_reply(line_size, kBadKey);
    p.key = t.tok[1];
    return request(cmd[0] == 'i' ? Op::incr : Op::decr);
  }
  if (cmd == "touch") {
    if (t.n != 4 && t.n != 5) return finish_reply(line_size, kError);
    p.noreply = is_noreply(t);
    if (!parse_i32_like_memcached(t.tok[2], p.exptime)) return finish_reply(line_size, kBadExptime);
    if (t.tok[1].size() > kKeyMaxLength) return finish_reply(line_size, kBadKey);
    p.key = t.tok[1];
    return request(Op::touch);
  }

  // --- commands without a key ----------------------------------------------------------------------------
  if (cmd == "flush_all") {
    if (t.n < 2 || t.n > 4) return finish_reply(line_size, kError);
    p.noreply = is_noreply(t);
    if (t.n != (p.noreply ? 3u : 2u)) {
      if (!parse_i32_like_memcached(t.tok[1], p.exptime)) return finish_reply(line_size, kBadExptime);
      p.args = t.tok[1];
    }
    return request(Op::flush_all);
  }
  if (cmd == "version") return request(Op::version);
  if (cmd == "quit") return request(Op::quit);
  if (cmd == "verbosity") {
    if (t.n != 3 && t.n != 4) return finish_reply(line_size, kError);
    p.noreply = is_noreply(t);
    std::uint32_t level = 0;
    if (!parse_u32_like_memcached(t.tok[1], level)) return finish_reply(line_size, kBadFormat);
    p.args = t.tok[1];
    return request(Op::verbosity);
  }
  if (cmd == "shutdown") {
    // Served or refused by the session (--enable-shutdown-cmd); args: memcached's mode ("graceful"), if any.
    if (t.n > 2) p.args = t.tok[1];
    if (t.n > 3) p.args = line.substr(static_cast<std::size_t>(t.tok[1].data() - line.data()));
    return {ParseStatus::shutdown, line_size, 0};
  }
  if (cmd == "stats") {
    std::size_t off = static_cast<std::size_t>(cmd.data() + cmd.size() - line.data());
    std::string_view rest = line.substr(off);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    p.args = rest;
    return request(Op::stats);
  }
  return finish_reply(line_size, kError);
}

ParseResult RequestParser::parse_meta(std::string_view input, std::size_t line_size, Op op,
                                      const std::string_view* tok, std::size_t ntok) {
  // What the proxy checks itself is what it needs to frame and route the command; every other flag is
  // forwarded and validated by memcached, so its error replies reach the client unchanged.
  ParsedRequest& p = parsed_;
  p.op = op;
  p.meta_flags.clear();
  p.quiet = false;
  p.base64_key = false;
  p.decoded_key.clear();
  const std::size_t memcached_ntokens = ntok + 1;
  if (op == Op::me) {
    // memcached's `me` (debug) has its own rules: a missing key or an undecodable one is a format error,
    // and only an exact "b" right after the key means base64; other tokens are ignored.
    if (memcached_ntokens < 3) return finish_reply(line_size, kBadFormat);
    if (tok[1].size() > kKeyMaxLength) return finish_reply(line_size, kBadKey);
    p.key = tok[1];
    if (memcached_ntokens >= 4 && tok[2] == "b") {
      auto decoded = base64_decode_lenient(tok[1]);
      if (!decoded) return finish_reply(line_size, kBadFormat);
      p.base64_key = true;
      p.meta_flags.push_back('b');  // (cleared above; `= "b"` trips GCC 12's false -Wrestrict, PR 105651)
      p.decoded_key = std::move(*decoded);
      p.key = p.decoded_key;
    }
    return {ParseStatus::request, line_size, 0};
  }
  if (memcached_ntokens < 3) return finish_reply(line_size, kError);
  if (op != Op::ms && tok[1].size() > kKeyMaxLength) return finish_reply(line_size, kBadKey);
  if (op == Op::ms && memcached_ntokens == 3) return finish_reply(line_size, kBadFormat);
  if (memcached_ntokens > 20) {  // memcached's MFLAG_MAX_OPT_LENGTH
    return finish_reply(line_size, op == Op::mg ? "CLIENT_ERROR options flags are too long\r\n"
                                                : "CLIENT_ERROR options flags too long\r\n");
  }
  std::size_t first_flag = 2;
  std::int32_t vlen = 0;
  if (op == Op::ms) {
    if (!parse_i32_like_memcached(tok[2], vlen) || vlen < 0 || vlen > 0x7fffffff - 2) {
      return finish_reply(line_size, kBadFormat);
    }
    first_flag = 3;
    if (tok[1].size() > kKeyMaxLength) {
      swallow_ = static_cast<std::size_t>(vlen) + 2;  // mcrouter reads the value, then refuses the key
      return finish_reply(line_size, kBadKey);
    }
  }
  int quiet_flags = 0;
  for (std::size_t i = first_flag; i < ntok; ++i) {
    char f = tok[i][0];
    if (f == 'q') {
      ++quiet_flags;  // handled by the proxy: the server is always asked for its reply
      continue;
    }
    if (f == 'b') p.base64_key = true;
    if (!p.meta_flags.empty()) p.meta_flags.push_back(' ');
    p.meta_flags.append(tok[i]);
  }
  p.quiet = quiet_flags > 0;
  p.key = tok[1];
  // Errors found from here on are always sent, quiet or not (memcached's out_errstring).
  p.noreply = false;
  std::optional<std::string> decoded;
  if (p.base64_key) decoded = base64_decode_lenient(tok[1]);
  if (quiet_flags > 1 || (p.base64_key && !decoded)) {
    // memcached refuses this request for sure (a repeated flag, a key that does not decode), but which error
    // it reports depends on the order of all its flag checks. So the request goes to the server exactly as
    // the client wrote it, q flags and all: memcached answers it with its own first error (an error is sent
    // even in quiet mode, so the reply still pairs with the request), and swallows an ms data block.
    p.quiet = false;
    p.base64_key = false;
    p.meta_flags.clear();
    for (std::size_t i = first_flag; i < ntok; ++i) {
      if (!p.meta_flags.empty()) p.meta_flags.push_back(' ');
      p.meta_flags.append(tok[i]);
    }
  } else if (p.base64_key) {
    p.decoded_key = std::move(*decoded);
    p.key = p.decoded_key;
  }
  std::size_t total = line_size;
  if (op == Op::ms) {
    std::size_t n = static_cast<std::size_t>(vlen);
    if (n > limits_.max_item_size) {
      // memcached also drops the stale item; the decoded key is the one stored.
      swallow_ = n + 2;
      p.invalidate_key = p.key;
      return finish_reply(line_size, kTooLarge);
    }
    total = line_size + n + 2;
  }
  if (op == Op::ms) {
    if (input.size() < total) return {ParseStatus::need_more, 0, total};
    std::size_t n = static_cast<std::size_t>(vlen);
    std::string_view data = input.substr(line_size, n + 2);
    if (data[n] != '\r' || data[n + 1] != '\n') {
      // A bad data chunk: memcached says so only when the flags pass its checks (else it reports the
      // flag), reading <datalen> + 2 bytes either way, so the block goes upstream as written. Its reply
      // is an error, which quiet mode never hides.
      p.value_end = data.substr(n, 2);
      p.quiet = false;
    }
    p.value = data.substr(0, n);
  }
  return {ParseStatus::request, total, 0};
}

}  // namespace mcrelay
