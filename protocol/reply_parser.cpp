#include "protocol/reply_parser.hpp"

#include <cstring>

#include "protocol/numbers.hpp"

namespace mcrelay {
namespace {

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view next_token(std::string_view& s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto sp = s.find(' ');
  std::string_view tok = s.substr(0, sp);
  s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
  return tok;
}

}  // namespace

ReplyParseResult ReplyParser::parse(std::string_view input, ReplyExpect expect) {
  parsed_ = ParsedReply{};
  const char* nl = static_cast<const char*>(std::memchr(input.data(), '\n', std::min(input.size(), kMaxLine)));
  if (nl == nullptr) {
    if (input.size() >= kMaxLine) return {ReplyParseStatus::protocol_error, 0, 0};
    return {ReplyParseStatus::need_more, 0, 0};
  }
  std::size_t line_size = static_cast<std::size_t>(nl - input.data()) + 1;
  if (line_size < 2 || input[line_size - 2] != '\r') return {ReplyParseStatus::protocol_error, 0, 0};
  std::string_view line = input.substr(0, line_size - 2);

  auto one_line = [&](Result r, std::string_view data = {}) {
    parsed_.result = r;
    parsed_.data = data;
    return ReplyParseResult{ReplyParseStatus::line, line_size, 0};
  };

  // Errors can answer any command.
  if (line == "ERROR") return one_line(Result::bad_command);
  if (line == "SERVER_ERROR" || line.starts_with("SERVER_ERROR ")) {
    return one_line(Result::remote_error, line.size() > 13 ? line.substr(13) : std::string_view{});
  }
  if (line == "CLIENT_ERROR" || line.starts_with("CLIENT_ERROR ")) {
    return one_line(Result::client_error, line.size() > 13 ? line.substr(13) : std::string_view{});
  }

  switch (expect) {
    case ReplyExpect::retrieval: {
      if (line == "END") {
        parsed_.result = Result::not_found;
        return {ReplyParseStatus::end, line_size, 0};
      }
      if (!line.starts_with("VALUE ")) break;
      std::string_view rest = line.substr(6);
      std::string_view key = next_token(rest);
      std::string_view flags = next_token(rest);
      std::string_view bytes = next_token(rest);
      std::string_view cas = next_token(rest);
      std::uint64_t nbytes = 0;
      if (key.empty() || !all_digits(flags) || !all_digits(bytes) || !parse_u64_like_memcached(bytes, nbytes) ||
          !parse_u32_like_memcached(flags, parsed_.flags) || !next_token(rest).empty()) {
        break;
      }
      if (!cas.empty()) {
        if (!all_digits(cas) || !parse_u64_like_memcached(cas, parsed_.cas)) break;
        parsed_.has_cas = true;
      }
      if (nbytes > (std::uint64_t{1} << 31)) break;
      std::size_t total = line_size + static_cast<std::size_t>(nbytes) + 2;
      if (input.size() < total) return {ReplyParseStatus::need_more, 0, total};
      if (input[total - 2] != '\r' || input[total - 1] != '\n') break;
      parsed_.result = Result::found;
      parsed_.key = key;
      parsed_.data = input.substr(line_size, static_cast<std::size_t>(nbytes));
      return {ReplyParseStatus::value, total, 0};
    }
    case ReplyExpect::storage:
      if (line == "STORED") return one_line(Result::stored);
      if (line == "NOT_STORED") return one_line(Result::not_stored);
      if (line == "EXISTS") return one_line(Result::exists);
      if (line == "NOT_FOUND") return one_line(Result::not_found);
      break;
    case ReplyExpect::deletion:
      if (line == "DELETED") return one_line(Result::deleted);
      if (line == "NOT_FOUND") return one_line(Result::not_found);
      break;
    case ReplyExpect::arith:
      if (line == "NOT_FOUND") return one_line(Result::not_found);
      if (all_digits(line)) return one_line(Result::found, line);
      break;
    case ReplyExpect::touch:
      if (line == "TOUCHED") return one_line(Result::touched);
      if (line == "NOT_FOUND") return one_line(Result::not_found);
      break;
    case ReplyExpect::ok:
      if (line == "OK") return one_line(Result::ok);
      break;
    case ReplyExpect::version:
      if (line.starts_with("VERSION ")) return one_line(Result::found, line.substr(8));
      break;
    case ReplyExpect::stats: {
      // The block is framed as a whole: it is one reply, and the proxy merges blocks of several servers.
      std::size_t pos = 0;
      while (true) {
        std::string_view rest = input.substr(pos);
        const char* end = static_cast<const char*>(std::memchr(rest.data(), '\n', std::min(rest.size(), kMaxLine)));
        if (end == nullptr) {
          if (rest.size() >= kMaxLine || input.size() > kMaxStatsReply) return {ReplyParseStatus::protocol_error, 0, 0};
          return {ReplyParseStatus::need_more, 0, 0};
        }
        std::size_t size = static_cast<std::size_t>(end - rest.data()) + 1;
        if (size < 2 || rest[size - 2] != '\r') return {ReplyParseStatus::protocol_error, 0, 0};
        std::string_view l = rest.substr(0, size - 2);
        if (l == "END") {
          parsed_.result = Result::ok;
          parsed_.data = input.substr(0, pos);
          return {ReplyParseStatus::line, pos + size, 0};
        }
        if (!l.starts_with("STAT ")) return {ReplyParseStatus::protocol_error, 0, 0};
        pos += size;
        if (pos > kMaxStatsReply) return {ReplyParseStatus::protocol_error, 0, 0};
      }
    }
    case ReplyExpect::meta: {
      // The Result is set by the caller (it depends on the command); here only framing is checked.
      if (line.size() < 2 || (line.size() > 2 && line[2] != ' ')) break;
      std::string_view code = line.substr(0, 2);
      parsed_.meta_line = line;
      parsed_.result = Result::found;
      if (code == "VA") {
        std::string_view rest = line.substr(2);
        std::string_view size = next_token(rest);
        std::uint64_t n = 0;
        if (!all_digits(size) || !parse_u64_like_memcached(size, n) || n > (std::uint64_t{1} << 31)) break;
        std::size_t total = line_size + static_cast<std::size_t>(n) + 2;
        if (input.size() < total) return {ReplyParseStatus::need_more, 0, total};
        if (input[total - 2] != '\r' || input[total - 1] != '\n') break;
        parsed_.data = input.substr(line_size, static_cast<std::size_t>(n));
        return {ReplyParseStatus::line, total, 0};
      }
      if (code == "HD" || code == "EN" || code == "NF" || code == "NS" || code == "EX" || code == "ME") {
        return {ReplyParseStatus::line, line_size, 0};
      }
      break;
    }
  }
  return {ReplyParseStatus::protocol_error, 0, 0};
}

}  // namespace mcrelay
