#include "protocol/base64.hpp"

#include <array>

namespace mcrelay {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::optional<std::string> base64_decode_lenient(std::string_view in) {
  // memcached's decoder, rule for rule (its replies are the reference): bytes outside the alphabet are
  // skipped; what is left ('=' included) must be a non-zero multiple of 4; '=' decodes as zero bits, and the
  // first group of 4 that holds one ends the key (one '=' drops its last byte, two its last two, more is an
  // error), whatever follows; an empty result is an error.
  std::size_t usable = 0;
  for (char c : in) usable += (c == '=' || kTable[static_cast<unsigned char>(c)] >= 0) ? 1 : 0;
  if (usable == 0 || usable % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(usable / 4 * 3);
  int group[4];
  int n = 0;
  int pad = 0;
  for (char c : in) {
    int v = c == '=' ? 0 : kTable[static_cast<unsigned char>(c)];
    if (v < 0) continue;
    if (c == '=') ++pad;
    group[n++] = v;
    if (n < 4) continue;
    out.push_back(static_cast<char>((group[0] << 2) | (group[1] >> 4)));
    out.push_back(static_cast<char>(((group[1] & 0x0f) << 4) | (group[2] >> 2)));
    out.push_back(static_cast<char>(((group[2] & 0x03) << 6) | group[3]));
    n = 0;
    if (pad > 0) {
      if (pad > 2) return std::nullopt;
      out.resize(out.size() - static_cast<std::size_t>(pad));
      break;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=') {
        // Padding only at the very end, and at most two.
        if (i + 4 != in.size() || j < 2) return std::nullopt;
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return std::nullopt;
      v[j] = kTable[static_cast<unsigned char>(c)];
      if (v[j] < 0) return std::nullopt;
    }
    std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace mcrelay
