// libFuzzer harness for RequestParser (protocol/request_parser.hpp).
//
// Input: a chunk plan (tests/fuzz/fuzz_util.hpp: byte 0 and up to 7 chunk-size bytes), then the client's
// byte stream. The stream is parsed twice, as the client session does (parse the unconsumed bytes, drop
// `consumed`, call again; on need_more wait for the next chunk): once delivered whole and once in the
// planned chunks. Traps (libFuzzer reports a crash) when:
//   - consumed > the bytes given, or need_more consumes something, or need_more asks for no more than it had;
//   - request/reply/skip/close consumes nothing (the session would spin);
//   - a view of the parsed request (key, keys, value, args, invalidate_key) is outside the consumed bytes;
//   - the parsed request breaks a limit (key > 250 bytes, value > max_item_size, too many keys; a get's keys
//     may be longer: the session answers each with "CLIENT_ERROR bad key"), or a get has no key;
//   - a reply to send is not a "\r\n"-terminated line;
//   - the whole and the chunked runs give different events. One difference is by design (memcached does the
//     same): a line longer than max_line may be closed when a chunk leaves it without its newline, while the
//     whole line parses; the chunked run may then end with "close" where the line had > max_line bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "protocol/request_parser.hpp"

using namespace mcrelay;
using mcrelay::fuzz::c_escape;
using mcrelay::fuzz::view_within;

namespace {

ParserLimits fuzz_limits() {
  ParserLimits l;
  l.max_item_size = 1024;
  l.max_get_line = 8192;
  l.max_keys_per_get = 100;  // reachable with short keys in an 8 KiB line
  return l;                   // max_line: the default 2048
}

struct Event {
  std::size_t offset = 0;  // stream offset of the first byte the event consumed
  std::size_t size = 0;
  std::string text;
  bool operator==(const Event&) const = default;
};

bool is_meta_with_key(Op op) {
  return op == Op::mg || op == Op::ms || op == Op::md || op == Op::ma || op == Op::me;
}

std::string describe(const ParsedRequest& p) {
  std::string s(op_name(p.op));
  if (is_meta_with_key(p.op)) {
    s += " k=";
    s += p.key;
    s += " [" + p.meta_flags + "] v=";
    s += p.value;
    if (!p.value_end.empty()) {
      s += " end=";
      s += p.value_end;
    }
    if (p.quiet) s += " quiet";
    if (p.base64_key) s += " b64";
    return s;
  }
  if (is_retrieval(p.op)) {
    if (p.op == Op::gat || p.op == Op::gats) s += " exp=" + std::to_string(p.exptime);
    for (auto k : p.keys) {
      s += ' ';
      s += k;
    }
    return s;
  }
  s += " k=";
  s += p.key;
  s += " f=" + std::to_string(p.flags) + " exp=" + std::to_string(p.exptime) + " cas=" +
       std::to_string(p.cas_unique) + " d=" + std::to_string(p.delta) + " v=";
  s += p.value;
  s += " args=";
  s += p.args;
  if (p.noreply) s += " noreply";
  return s;
}

void check_request(const ParsedRequest& p, const char* base, std::size_t consumed, const ParserLimits& limits) {
  // A meta command's base64 key (flag b) is routed by its decoded bytes, which the parser owns.
  const bool decoded = is_meta_with_key(p.op) && p.base64_key;
  FUZZ_CHECK(decoded ? p.key.data() == p.decoded_key.data() && p.key.size() == p.decoded_key.size()
                     : view_within(p.key, base, consumed),
             "key outside the consumed bytes (and not the decoded base64 key)");
  if (is_meta_with_key(p.op)) FUZZ_CHECK(!p.key.empty(), "meta command without a key");
  FUZZ_CHECK(view_within(p.value, base, consumed), "value outside the consumed bytes");
  FUZZ_CHECK(view_within(p.args, base, consumed), "args outside the consumed bytes");
  FUZZ_CHECK(p.key.size() <= 250, "key longer than memcached's KEY_MAX_LENGTH");
  FUZZ_CHECK(p.value.size() <= limits.max_item_size, "value over max_item_size");
  FUZZ_CHECK(p.keys.size() <= limits.max_keys_per_get, "more keys than max_keys_per_get");
  if (is_retrieval(p.op) || p.op == Op::lease_get || p.op == Op::metaget) {  // lease-get, metaget: keys as get
    FUZZ_CHECK(!p.keys.empty(), "a get without a key is a request (mcrouter: malformed request, then close)");
    for (auto k : p.keys) {
      FUZZ_CHECK(view_within(k, base, consumed), "get key outside the consumed bytes");
      FUZZ_CHECK(!k.empty(), "get key empty", c_escape(k));
      FUZZ_CHECK(k.find(' ') == std::string_view::npos && k.find('\n') == std::string_view::npos &&
                     k.find('\0') == std::string_view::npos,
                 "get key with a space, newline or NUL (memcached ends the line at a NUL)", c_escape(k));
    }
  } else {
    FUZZ_CHECK(p.keys.empty(), "keys set for a command that is not a get");
  }
  FUZZ_CHECK(p.value_end.empty() || (p.op == Op::ms && p.value_end.size() == 2 && p.value_end != "\r\n" &&
                                      p.value_end.data() + 2 == base + consumed),
             "value_end is not the 2 bytes (other than CRLF) that end an ms request");
  if (is_storage(p.op) || p.op == Op::ms || p.op == Op::lease_set) {
    // The data block is followed by its "\r\n" (or an ms's value_end) and is the end of what was consumed.
    FUZZ_CHECK(p.value.data() == nullptr || p.value.empty() ||
                   p.value.data() + p.value.size() + 2 == base + consumed,
               "storage value is not the last bytes consumed");
  }
}

// Parses `stream` delivered in chunks (plan == nullptr: all at once). Returns the events; skips of
// discarded data are merged so that splitting them does not matter.
std::vector<Event> run(std::string_view stream, const mcrelay::fuzz::ChunkPlan* plan, const ParserLimits& limits) {
  RequestParser parser(limits);
  std::vector<Event> events;
  std::size_t fed = 0;   // stream bytes delivered so far
  std::size_t base = 0;  // stream offset of the first unconsumed byte
  mcrelay::fuzz::StreamBuffer buf(stream);
  for (std::size_t chunk = 0; fed < stream.size(); ++chunk) {
    fed = plan == nullptr ? stream.size() : std::min(stream.size(), fed + plan->size(chunk));
    buf.deliver(fed);
    while (base < fed) {
      buf.consume(base);
      const std::string_view in = buf.unconsumed();
      const ParseResult r = parser.parse(in);
      FUZZ_CHECK(r.consumed <= in.size(), "consumed more than the input");
      if (r.status == ParseStatus::need_more) {
        FUZZ_CHECK(r.consumed == 0, "need_more consumed bytes");
        FUZZ_CHECK(r.need == 0 || r.need > in.size(), "need_more asks for no more than it has",
                   std::to_string(r.need) + " <= " + std::to_string(in.size()));
        break;
      }
      FUZZ_CHECK(r.consumed > 0, "no progress: an event consumed nothing");
      const ParsedRequest& p = parser.parsed();
      Event e{base, r.consumed, {}};
      switch (r.status) {
        case ParseStatus::request:
          check_request(p, in.data(), r.consumed, limits);
          e.text = describe(p);
          break;
        case ParseStatus::reply:
          FUZZ_CHECK(p.reply.empty() || p.reply.ends_with("\r\n"), "reply is not a line", c_escape(p.reply));
          // A base64 meta key is invalidated by its decoded form (the writer re-encodes it upstream).
          FUZZ_CHECK(view_within(p.invalidate_key, in.data(), r.consumed) ||
                         (p.base64_key && p.invalidate_key.data() == p.decoded_key.data() &&
                          p.invalidate_key.size() == p.decoded_key.size()),
                     "invalidate_key is neither in the input nor the decoded key");
          FUZZ_CHECK(p.invalidate_key.size() <= 250, "invalidate_key longer than 250");
          e.text = "reply:" + std::string(p.reply) + " invalidate=" + std::string(p.invalidate_key);
          break;
        case ParseStatus::skip:
          e.text = "skip";
          if (!events.empty() && events.back().text == "skip" &&
              events.back().offset + events.back().size == base) {
            events.back().size += r.consumed;
            base += r.consumed;
            continue;
          }
          break;
        case ParseStatus::close:
          FUZZ_CHECK(p.reply.empty() || p.reply.ends_with("\r\n"), "close reply is not a line", c_escape(p.reply));
          e.text = p.reply.empty() ? std::string("close") : "close:" + std::string(p.reply);
          break;
        case ParseStatus::shutdown:
          FUZZ_CHECK(p.args.empty() || view_within(p.args, in.data(), r.consumed), "shutdown args outside the input");
          e.text = "shutdown " + std::string(p.args);
          break;
        default:
          mcrelay::fuzz::fail("unknown ParseStatus");
      }
      events.push_back(std::move(e));
      base += r.consumed;
      if (r.status == ParseStatus::close) return events;
    }
  }
  // Nothing buffered (or an incomplete command): an empty call must not make progress either.
  const ParseResult r = parser.parse(std::string_view{});
  FUZZ_CHECK(r.status == ParseStatus::need_more && r.consumed == 0, "parse(\"\") did not answer need_more");
  return events;
}

std::string show(const std::vector<Event>& ev, std::size_t i) {
  if (i >= ev.size()) return "(none)";
  return "@" + std::to_string(ev[i].offset) + "+" + std::to_string(ev[i].size) + " " + c_escape(ev[i].text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const mcrelay::fuzz::ChunkPlan plan = mcrelay::fuzz::read_chunk_plan(input);
  const ParserLimits limits = fuzz_limits();

  const std::vector<Event> whole = run(plan.stream, nullptr, limits);
  const std::vector<Event> chunked = run(plan.stream, &plan, limits);

  for (std::size_t i = 0; i < chunked.size(); ++i) {
    if (i < whole.size() && chunked[i] == whole[i]) continue;
    // The only allowed difference: the chunked run closed on a line that has more than max_line bytes
    // (a chunk boundary left it without its newline past the limit). Then the chunked run ends here.
    const Event& c = chunked[i];
    bool only_a_long_line_closed = false;
    if (c.text == "close" && i + 1 == chunked.size() && (i >= whole.size() || whole[i].offset == c.offset)) {
      std::string_view rest = plan.stream.substr(c.offset);
      only_a_long_line_closed =
          rest.size() > limits.max_line && std::memchr(rest.data(), '\n', limits.max_line + 1) == nullptr;
    }
    FUZZ_CHECK(only_a_long_line_closed, "whole and chunked parses differ",
               "event " + std::to_string(i) + ": whole " + show(whole, i) + " vs chunked " + show(chunked, i));
    return 0;
  }
  FUZZ_CHECK(chunked.size() == whole.size(), "whole and chunked parses differ",
             "whole has more events; first extra: " + show(whole, chunked.size()));
  return 0;
}
