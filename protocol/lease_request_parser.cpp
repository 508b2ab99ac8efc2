// RequestParser, continued: mcrouter's lease-get, lease-set and metaget (see request_parser.hpp for the
// contract). mcrouter parses lease-get and metaget as it parses get (any number of keys, one reply part
// each, then END) and lease-set as set with the lease token before the flags. Malformed lines get the
// errors memcached gives the commands they resemble: ERROR for a wrong number of tokens, CLIENT_ERROR bad
// command line format for a bad number or key (docs/protocol.md).
#include "protocol/numbers.hpp"
#include "protocol/request_parser.hpp"

namespace mcrelay {
namespace {

constexpr std::size_t kLeaseKeyMaxLength = 250;  // memcached's KEY_MAX_LENGTH

constexpr std::string_view kLeaseError = "ERROR\r\n";
constexpr std::string_view kLeaseBadFormat = "CLIENT_ERROR bad command line format\r\n";
constexpr std::string_view kLeaseBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
constexpr std::string_view kLeaseTooLarge = "SERVER_ERROR object too large for cache\r\n";
constexpr std::string_view kLeaseTooManyKeys = "CLIENT_ERROR too many keys in one get\r\n";

}  // namespace

ParseResult RequestParser::parse_lease_command(std::string_view input, std::string_view line,
                                               std::size_t line_size, const std::string_view* tok,
                                               std::size_t ntok) {
  ParsedRequest& p = parsed_;
  const std::string_view cmd = tok[0];

  if (cmd != "lease-set") {
    // lease-get / metaget: every key on the line, in order (the line may hold more than the tokenizer's
    // 23 tokens, so walk it again as the get branch does).
    const Op op = cmd == "metaget" ? Op::metaget : Op::lease_get;
    if (ntok < 2) return finish_reply(line_size, kLeaseError);
    std::size_t pos = static_cast<std::size_t>(cmd.data() + cmd.size() - line.data());
    for (std::string_view key = next_word(line, pos); !key.empty(); key = next_word(line, pos)) {
      if (key.size() > kLeaseKeyMaxLength) {
        p.keys.clear();
        return finish_reply(line_size, kLeaseBadFormat);
      }
      if (p.keys.size() >= limits_.max_keys_per_get) {
        p.keys.clear();
        return finish_reply(line_size, kLeaseTooManyKeys);
      }
      p.keys.push_back(key);
    }
    p.op = op;
    return {ParseStatus::request, line_size, 0};
  }

  // lease-set <key> <token> <flags> <exptime> <bytes> [noreply]
  if (ntok != 6 && ntok != 7) return finish_reply(line_size, kLeaseError);
  p.noreply = ntok == 7 && tok[6] == "noreply";
  if (tok[1].size() > kLeaseKeyMaxLength) return finish_reply(line_size, kLeaseBadFormat);
  std::int32_t vlen = 0;
  if (!(parse_u64_like_memcached(tok[2], p.cas_unique) && parse_u32_like_memcached(tok[3], p.flags) &&
        parse_i32_like_memcached(tok[4], p.exptime) && parse_i32_like_memcached(tok[5], vlen))) {
    return finish_reply(line_size, kLeaseBadFormat);
  }
  if (vlen < 0 || vlen > 0x7fffffff - 2) return finish_reply(line_size, kLeaseBadFormat);
  const std::size_t n = static_cast<std::size_t>(vlen);
  p.op = Op::lease_set;
  if (n > limits_.max_item_size) {
    // Reply now and discard the data block as it arrives. Unlike set, nothing is invalidated: a lease-set
    // that fails leaves the lease to expire.
    swallow_ = n + 2;
    return finish_reply(line_size, kLeaseTooLarge);
  }
  const std::size_t total = line_size + n + 2;
  if (input.size() < total) return {ParseStatus::need_more, 0, total};
  std::string_view data = input.substr(line_size, n + 2);
  if (data[n] != '\r' || data[n + 1] != '\n') return finish_reply(total, kLeaseBadDataChunk);
  p.key = tok[1];
  p.value = data.substr(0, n);
  return {ParseStatus::request, total, 0};
}

}  // namespace mcrelay
