#include "parse_driver.hpp"

#include <catch2/catch.hpp>

namespace mcrelay::test {

std::string describe(const ParsedRequest& p) {
  std::string s(op_name(p.op));
  if (p.op == Op::mg || p.op == Op::ms || p.op == Op::md || p.op == Op::ma || p.op == Op::me) {
    s += " " + std::string(p.key);
    if (!p.meta_flags.empty()) s += " [" + p.meta_flags + "]";
    if (p.op == Op::ms) s += " v=" + std::string(p.value);
    if (!p.value_end.empty()) s += " end=" + std::string(p.value_end);
    if (p.quiet) s += " quiet";
    if (p.base64_key) s += " b64";
    return s;
  }
  if (!p.keys.empty() || is_retrieval(p.op)) {
    if (p.op == Op::gat || p.op == Op::gats) s += " exp=" + std::to_string(p.exptime);
    for (auto k : p.keys) s += " " + std::string(k);
    return s;
  }
  if (!p.key.empty()) s += " " + std::string(p.key);
  if (is_storage(p.op)) {
    s += " f=" + std::to_string(p.flags) + " exp=" + std::to_string(p.exptime);
    if (p.op == Op::cas) s += " cas=" + std::to_string(p.cas_unique);
    s += " v=" + std::string(p.value);
  }
  if (p.op == Op::lease_set) {
    s += " token=" + std::to_string(p.cas_unique) + " f=" + std::to_string(p.flags) +
         " exp=" + std::to_string(p.exptime) + " v=" + std::string(p.value);
  }
  if (p.op == Op::incr || p.op == Op::decr) s += " d=" + std::to_string(p.delta);
  if (p.op == Op::touch) s += " exp=" + std::to_string(p.exptime);
  if (!p.args.empty()) s += " args=" + std::string(p.args);
  if (p.noreply) s += " noreply";
  return s;
}

std::vector<std::string> parse_chunks(const std::vector<std::string>& chunks, ParserLimits limits) {
  RequestParser parser(limits);
  std::vector<std::string> events;
  std::string buf;
  bool closed = false;
  for (const auto& c : chunks) {
    if (closed) break;
    buf += c;
    while (!buf.empty() && !closed) {
      ParseResult r = parser.parse(buf);
      if (r.status == ParseStatus::need_more) {
        REQUIRE(r.consumed == 0);
        break;
      }
      REQUIRE(r.consumed > 0);
      REQUIRE(r.consumed <= buf.size());
      const ParsedRequest& p = parser.parsed();
      switch (r.status) {
        case ParseStatus::request:
          events.push_back(describe(p));
          break;
        case ParseStatus::reply:
          events.push_back("reply:" + std::string(p.reply) +
                           (p.invalidate_key.empty() ? "" : " invalidate=" + std::string(p.invalidate_key)));
          break;
        case ParseStatus::shutdown:
          events.push_back("shutdown" + (p.args.empty() ? std::string() : " " + std::string(p.args)));
          break;
        case ParseStatus::close:
          events.push_back(p.reply.empty() ? std::string("close") : "close:" + std::string(p.reply));
          closed = true;
          break;
        default:
          break;
      }
      buf.erase(0, r.consumed);
    }
  }
  return events;
}

std::vector<std::string> parse_every_split(const std::string& input, ParserLimits limits) {
  auto whole = parse_chunks({input}, limits);
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    INFO("split at byte " << cut);
    REQUIRE(parse_chunks({input.substr(0, cut), input.substr(cut)}, limits) == whole);
  }
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  INFO("one byte at a time");
  REQUIRE(parse_chunks(bytes, limits) == whole);
  return whole;
}

}  // namespace mcrelay::test
