// libFuzzer harness for ReplyParser (protocol/reply_parser.hpp).
//
// Input: byte 0 picks the ReplyExpect (byte % 9: retrieval, storage, deletion, arith, touch, ok, version, meta,
// stats),
// then a chunk plan (tests/fuzz/fuzz_util.hpp), then the server's byte stream. The stream is parsed as the
// upstream connection does (parse the unconsumed bytes, drop `consumed`, call again; on need_more wait for
// the next chunk; stop at protocol_error), once delivered whole and once in the planned chunks.
// Traps (libFuzzer reports a crash) when:
//   - consumed > the bytes given, need_more or protocol_error consumes something, or need_more's `need`
//     is not more than it had;
//   - value/end/line consumes nothing (the connection would spin);
//   - the key or data view is outside the consumed bytes; a value's data is not followed by "\r\n";
//   - the whole and the chunked runs give different events (no exception: the reply parser's line bound
//     only looks at the first kMaxLine bytes, so a split never changes its answer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "protocol/reply_parser.hpp"

using namespace mcrelay;
using mcrelay::fuzz::c_escape;
using mcrelay::fuzz::view_within;

namespace {

constexpr ReplyExpect kExpects[] = {ReplyExpect::retrieval, ReplyExpect::storage, ReplyExpect::deletion,
                                    ReplyExpect::arith,     ReplyExpect::touch,   ReplyExpect::ok,
                                    ReplyExpect::version,   ReplyExpect::meta,    ReplyExpect::stats};
constexpr std::size_t kNumExpects = sizeof kExpects / sizeof kExpects[0];

struct Event {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::string text;
  bool operator==(const Event&) const = default;
};

std::vector<Event> run(std::string_view stream, ReplyExpect expect, const mcrelay::fuzz::ChunkPlan* plan) {
  ReplyParser parser;
  std::vector<Event> events;
  std::size_t fed = 0;
  std::size_t base = 0;
  mcrelay::fuzz::StreamBuffer buf(stream);
  for (std::size_t chunk = 0; fed < stream.size(); ++chunk) {
    fed = plan == nullptr ? stream.size() : std::min(stream.size(), fed + plan->size(chunk));
    buf.deliver(fed);
    while (base < fed) {
      buf.consume(base);
      const std::string_view in = buf.unconsumed();
      const ReplyParseResult r = parser.parse(in, expect);
      FUZZ_CHECK(r.consumed <= in.size(), "consumed more than the input");
      if (r.status == ReplyParseStatus::need_more) {
        FUZZ_CHECK(r.consumed == 0, "need_more consumed bytes");
        FUZZ_CHECK(r.need == 0 || r.need > in.size(), "need_more asks for no more than it has",
                   std::to_string(r.need) + " <= " + std::to_string(in.size()));
        break;
      }
      if (r.status == ReplyParseStatus::protocol_error) {
        FUZZ_CHECK(r.consumed == 0, "protocol_error consumed bytes");
        events.push_back({base, 0, "protocol_error"});
        return events;
      }
      FUZZ_CHECK(r.consumed > 0, "no progress: an event consumed nothing");
      const ParsedReply& p = parser.parsed();
      FUZZ_CHECK(view_within(p.key, in.data(), r.consumed), "key outside the consumed bytes");
      FUZZ_CHECK(view_within(p.data, in.data(), r.consumed), "data outside the consumed bytes");
      FUZZ_CHECK(view_within(p.meta_line, in.data(), r.consumed), "meta_line outside the consumed bytes");
      // Every element ends with "\r\n".
      FUZZ_CHECK(r.consumed >= 2 && in[r.consumed - 2] == '\r' && in[r.consumed - 1] == '\n',
                 "element does not end with \\r\\n");
      std::string text;
      switch (r.status) {
        case ReplyParseStatus::value:
          FUZZ_CHECK(expect == ReplyExpect::retrieval, "VALUE for a command that is not a get");
          FUZZ_CHECK(!p.key.empty(), "VALUE with an empty key");
          FUZZ_CHECK(p.data.data() != nullptr && p.data.data() + p.data.size() + 2 == in.data() + r.consumed,
                     "VALUE data is not the last bytes before its \\r\\n");
          text = "value " + std::string(p.key) + " f=" + std::to_string(p.flags) + " d=" + std::string(p.data);
          if (p.has_cas) text += " cas=" + std::to_string(p.cas);
          break;
        case ReplyParseStatus::end:
          FUZZ_CHECK(expect == ReplyExpect::retrieval, "END for a command that is not a get");
          text = "end";
          break;
        case ReplyParseStatus::line:
          text = std::string(result_name(p.result)) + " " + std::string(p.data) + " meta=" + std::string(p.meta_line);
          break;
        default:
          mcrelay::fuzz::fail("unknown ReplyParseStatus");
      }
      events.push_back({base, r.consumed, std::move(text)});
      base += r.consumed;
    }
  }
  return events;
}

std::string show(const std::vector<Event>& ev, std::size_t i) {
  if (i >= ev.size()) return "(none)";
  return "@" + std::to_string(ev[i].offset) + "+" + std::to_string(ev[i].size) + " " + c_escape(ev[i].text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ReplyExpect expect = kExpects[data[0] % kNumExpects];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const mcrelay::fuzz::ChunkPlan plan = mcrelay::fuzz::read_chunk_plan(input);

  const std::vector<Event> whole = run(plan.stream, expect, nullptr);
  const std::vector<Event> chunked = run(plan.stream, expect, &plan);
  const std::size_t n = std::max(whole.size(), chunked.size());
  for (std::size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(i < whole.size() && i < chunked.size() && whole[i] == chunked[i], "whole and chunked parses differ",
               "event " + std::to_string(i) + ": whole " + show(whole, i) + " vs chunked " + show(chunked, i));
  }
  return 0;
}
