// ReplyParser: server replies, whole and split at every byte.
#include <catch2/catch.hpp>

#include "protocol/reply_parser.hpp"

using namespace mcrelay;

namespace {

// Parses every element of `input` (expecting `expect`), feeding `input` in two chunks cut at `cut`, or, with
// a `step`, the first `cut` bytes and then `step` bytes each time the parser needs more.
std::vector<std::string> parse_all(const std::string& input, ReplyExpect expect, std::size_t cut,
                                   std::size_t step = 0) {
  ReplyParser parser;
  std::vector<std::string> out;
  std::string buf;
  std::size_t fed = 0;
  auto feed = [&](std::size_t upto) {
    buf.append(input, fed, upto - fed);
    fed = upto;
  };
  feed(std::min(cut, input.size()));
  while (true) {
    auto r = parser.parse(buf, expect);
    if (r.status == ReplyParseStatus::need_more) {
      if (fed == input.size()) break;
      feed(step == 0 ? input.size() : std::min(input.size(), fed + step));
      continue;
    }
    if (r.status == ReplyParseStatus::protocol_error) {
      out.push_back("protocol_error");
      break;
    }
    const auto& p = parser.parsed();
    std::string e(result_name(p.result));
    if (r.status == ReplyParseStatus::value) {
      e = "value " + std::string(p.key) + " f=" + std::to_string(p.flags) + " d=" + std::string(p.data);
      if (p.has_cas) e += " cas=" + std::to_string(p.cas);
    } else if (r.status == ReplyParseStatus::end) {
      e = "end";
    } else if (!p.data.empty()) {
      e += " " + std::string(p.data);
    }
    out.push_back(e);
    buf.erase(0, r.consumed);
    if (buf.empty() && fed == input.size()) break;
  }
  return out;
}

std::vector<std::string> parse_every_split(const std::string& input, ReplyExpect expect) {
  auto whole = parse_all(input, expect, input.size());
  for (std::size_t cut = 0; cut < input.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(parse_all(input, expect, cut) == whole);
  }
  INFO("one byte at a time");
  REQUIRE(parse_all(input, expect, 0, 1) == whole);
  return whole;
}

using Events = std::vector<std::string>;

}  // namespace

TEST_CASE("retrieval replies", "[reply_parser]") {
  CHECK(parse_every_split("END\r\n", ReplyExpect::retrieval) == Events{"end"});
  CHECK(parse_every_split("VALUE k 5 3\r\nabc\r\nVALUE z 0 0\r\n\r\nEND\r\n", ReplyExpect::retrieval) ==
        Events{"value k f=5 d=abc", "value z f=0 d=", "end"});
  CHECK(parse_every_split("VALUE k 0 4 77\r\na\r\nb\r\nEND\r\n", ReplyExpect::retrieval) ==
        Events{"value k f=0 d=a\r\nb cas=77", "end"});
  CHECK(parse_every_split("SERVER_ERROR out of memory\r\n", ReplyExpect::retrieval) ==
        Events{"remote_error out of memory"});
}

TEST_CASE("one-line replies", "[reply_parser]") {
  CHECK(parse_every_split("STORED\r\n", ReplyExpect::storage) == Events{"stored"});
  CHECK(parse_every_split("NOT_STORED\r\n", ReplyExpect::storage) == Events{"notstored"});
  CHECK(parse_every_split("EXISTS\r\n", ReplyExpect::storage) == Events{"exists"});
  CHECK(parse_every_split("NOT_FOUND\r\n", ReplyExpect::storage) == Events{"notfound"});
  CHECK(parse_every_split("DELETED\r\n", ReplyExpect::deletion) == Events{"deleted"});
  CHECK(parse_every_split("TOUCHED\r\n", ReplyExpect::touch) == Events{"touched"});
  CHECK(parse_every_split("12345\r\n", ReplyExpect::arith) == Events{"found 12345"});
  CHECK(parse_every_split("OK\r\n", ReplyExpect::ok) == Events{"ok"});
  CHECK(parse_every_split("VERSION 1.6.18\r\n", ReplyExpect::version) == Events{"found 1.6.18"});
  CHECK(parse_every_split("ERROR\r\n", ReplyExpect::storage) == Events{"bad_command"});
  CHECK(parse_every_split("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", ReplyExpect::arith) ==
        Events{"client_error cannot increment or decrement non-numeric value"});
}

TEST_CASE("garbage is a protocol error", "[reply_parser]") {
  CHECK(parse_all("STORED\r\n", ReplyExpect::deletion, 100) == Events{"protocol_error"});
  CHECK(parse_all("VALUE k x 3\r\nabc\r\nEND\r\n", ReplyExpect::retrieval, 100) == Events{"protocol_error"});
  CHECK(parse_all("VALUE k 0 3\r\nabcXYEND\r\n", ReplyExpect::retrieval, 100) == Events{"protocol_error"});
  CHECK(parse_all("HELLO\n", ReplyExpect::storage, 100) == Events{"protocol_error"});
  CHECK(parse_all(std::string(9000, 'x'), ReplyExpect::storage, 100000) == Events{"protocol_error"});
}

TEST_CASE("meta replies", "[reply_parser]") {
  CHECK(parse_every_split("HD\r\n", ReplyExpect::meta) == Events{"found"});
  CHECK(parse_every_split("HD c123 Oab\r\n", ReplyExpect::meta) == Events{"found"});
  CHECK(parse_every_split("VA 2 f5 t-1\r\nhi\r\n", ReplyExpect::meta) == Events{"found hi"});
  CHECK(parse_every_split("EN\r\n", ReplyExpect::meta) == Events{"found"});  // the caller maps codes to results
  CHECK(parse_every_split("CLIENT_ERROR invalid flag\r\n", ReplyExpect::meta) == Events{"client_error invalid flag"});
  CHECK(parse_all("VA x\r\nhi\r\n", ReplyExpect::meta, 100) == Events{"protocol_error"});
  CHECK(parse_all("VA 2\r\nhiXX", ReplyExpect::meta, 100) == Events{"protocol_error"});
  CHECK(parse_all("HDX\r\n", ReplyExpect::meta, 100) == Events{"protocol_error"});
}

TEST_CASE("meta_result maps codes by command", "[reply_parser]") {
  CHECK(meta_result(Op::ms, "HD") == Result::stored);
  CHECK(meta_result(Op::md, "HD") == Result::deleted);
  CHECK(meta_result(Op::mg, "VA") == Result::found);
  CHECK(meta_result(Op::mg, "EN") == Result::not_found);
  CHECK(meta_result(Op::md, "NF") == Result::not_found);
  CHECK(meta_result(Op::ms, "NS") == Result::not_stored);
  CHECK(meta_result(Op::ms, "EX") == Result::exists);
}

TEST_CASE("error lines need their space", "[reply_parser]") {
  CHECK(parse_every_split("SERVER_ERROR\r\n", ReplyExpect::storage) == Events{"remote_error"});
  CHECK(parse_all("SERVER_ERRORxy\r\n", ReplyExpect::storage, 100) == Events{"protocol_error"});
}

TEST_CASE("stats replies are framed as one block up to END", "[reply_parser]") {
  const std::string block = "STAT items:1:number 3\r\nSTAT items:1:age 12\r\nSTAT total_malloced 2097152\r\n";
  CHECK(parse_every_split(block + "END\r\n", ReplyExpect::stats) == Events{"ok " + block});
  CHECK(parse_every_split("END\r\n", ReplyExpect::stats) == Events{"ok"});  // a group with nothing in it
  CHECK(parse_every_split("STAT sizes_status disabled\r\nEND\r\n", ReplyExpect::stats) ==
        Events{"ok STAT sizes_status disabled\r\n"});
  // Errors answer the command instead of a block.
  CHECK(parse_every_split("ERROR\r\n", ReplyExpect::stats) == Events{"bad_command"});
  CHECK(parse_every_split("CLIENT_ERROR bad command line format\r\n", ReplyExpect::stats) ==
        Events{"client_error bad command line format"});
  // Two blocks back to back are two replies.
  CHECK(parse_every_split("STAT a 1\r\nEND\r\nSTAT b 2\r\nEND\r\n", ReplyExpect::stats) ==
        Events{"ok STAT a 1\r\n", "ok STAT b 2\r\n"});
}

TEST_CASE("stats replies that are not STAT lines, or too long, are protocol errors", "[reply_parser]") {
  CHECK(parse_all("STAT a 1\r\nVALUE k 0 1\r\nx\r\nEND\r\n", ReplyExpect::stats, 1000) == Events{"protocol_error"});
  CHECK(parse_all("STAT a 1\nEND\r\n", ReplyExpect::stats, 1000) == Events{"protocol_error"});
  CHECK(parse_all("STAT a " + std::string(9000, 'x') + "\r\nEND\r\n", ReplyExpect::stats, 100000) ==
        Events{"protocol_error"});
  // A reply that never ends is cut off at kMaxStatsReply instead of being buffered without bound.
  std::string endless;
  while (endless.size() <= ReplyParser::kMaxStatsReply) endless += "STAT some_stat 123456789\r\n";
  CHECK(parse_all(endless, ReplyExpect::stats, endless.size()) == Events{"protocol_error"});
  CHECK(parse_all(endless.substr(0, 1000), ReplyExpect::stats, 1000).empty());  // short: waits for more
}
