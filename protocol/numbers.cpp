#include "protocol/numbers.hpp"

#include <charconv>
#include <limits>
#include <string>

namespace mcrelay {
namespace {

bool is_c_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// strtoull/strtoll core: returns false for "no digits" or overflow (ERANGE). `negative` reports a sign.
// `magnitude` is the absolute value; `end` the index after the last digit.
struct Scan {
  bool ok = false;
  bool negative = false;
  bool overflow = false;
  std::uint64_t magnitude = 0;
  std::size_t end = 0;
};

Scan scan_number(std::string_view s) noexcept {
  Scan r;
  std::size_t i = 0;
  while (i < s.size() && is_c_space(s[i])) ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    r.negative = s[i] == '-';
    ++i;
  }
  std::size_t digits_start = i;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) r.overflow = true;
    v = v * 10 + d;
    ++i;
  }
  if (i == digits_start) return r;  // str == endptr
  r.ok = true;
  r.magnitude = v;
  r.end = i;
  return r;
}

bool tail_ok(std::string_view s, std::size_t end) noexcept { return end == s.size() || is_c_space(s[end]); }

}  // namespace

bool parse_u64_like_memcached(std::string_view token, std::uint64_t& out) noexcept {
  out = 0;
  Scan r = scan_number(token);
  if (!r.ok || r.overflow) return false;
  if (!tail_ok(token, r.end)) return false;
  std::uint64_t v = r.negative ? (0 - r.magnitude) : r.magnitude;
  // memcached rejects a '-' only when the result looks negative as a signed number.
  if (static_cast<std::int64_t>(v) < 0 && token.find('-') != std::string_view::npos) return false;
  out = v;
  return true;
}

bool parse_u32_like_memcached(std::string_view token, std::uint32_t& out) noexcept {
  std::uint64_t v = 0;
  out = 0;
  if (!parse_u64_like_memcached(token, v)) return false;
  out = static_cast<std::uint32_t>(v);  // truncation, as memcached's `*out = l`
  return true;
}

bool parse_i32_like_memcached(std::string_view token, std::int32_t& out) noexcept {
  out = 0;
  Scan r = scan_number(token);
  if (!r.ok) return false;
  // strtol's range is that of a 64-bit long.
  constexpr std::uint64_t kMaxPos = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (r.overflow || (!r.negative && r.magnitude > kMaxPos) || (r.negative && r.magnitude > kMaxPos + 1)) {
    return false;
  }
  if (!tail_ok(token, r.end)) return false;
  std::int64_t v = r.negative ? static_cast<std::int64_t>(0 - r.magnitude) : static_cast<std::int64_t>(r.magnitude);
  out = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
  return true;
}

void append_decimal(std::string& out, std::uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void append_decimal(std::string& out, std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

}  // namespace mcrelay
