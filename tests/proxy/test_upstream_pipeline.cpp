// UpstreamPipeline (proxy/upstream_pipeline.hpp) without a socket: batching, what is written, FIFO reply
// matching, misses inferred from multi-get order, meta and lease translation, error lines, protocol
// errors, fail_all and deadlines; and a grind harness that feeds every reply stream whole, split at every
// byte and one byte at a time, and requires the same completions each way.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "proxy/upstream_pipeline.hpp"

using namespace mcrelay;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

RequestPtr make(Op op, std::string key = {}, std::string value = {}) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = std::move(key);
  r->value = std::move(value);
  return r;
}

std::string describe(const Reply& r) {
  std::string s(result_name(r.result));
  if (r.flags) s += " f" + std::to_string(r.flags);
  if (r.cas) s += " c" + std::to_string(r.cas);
  if (r.exptime) s += " t" + std::to_string(r.exptime);
  if (!r.value.empty()) s += " v=" + r.value;
  if (!r.meta_line.empty()) s += " m=" + r.meta_line;
  return s;
}

struct Counting final : UpstreamAccounting {
  void queued(Op op) noexcept override { ++queued_by_op[op]; }
  void completed(Result r, Clock::duration waited) noexcept override {
    ++completed_by_result[r];
    waits.push_back(waited);
  }
  void error_reply() noexcept override { ++errors; }
  std::map<Op, int> queued_by_op;
  std::map<Result, int> completed_by_result;
  std::vector<Clock::duration> waits;
  int errors = 0;
};

// A pipeline with recording callbacks: each completion appends "<tag>: <reply>" to `log`, when run.
struct Harness {
  explicit Harness(std::size_t max_batch = 100) : pipeline(max_batch, 1000, &acct) {
    pipeline.set_peer("10.0.0.1");
    pipeline.set_unix_clock([]() -> std::int64_t { return 1000000; });
  }
  void add(RequestPtr req, std::string tag, SendOptions opts = {}, Clock::time_point at = {}) {
    pipeline.add(req, opts, [this, tag](Reply&& r) { log.push_back(tag + ": " + describe(r)); },
                 at == Clock::time_point{} ? t0 : at);
  }
  std::string write() {
    std::string out;
    pipeline.prepare_write(out);
    return out;
  }
  void run() {
    for (auto& c : completions) c.done(std::move(c.reply));
    completions.clear();
  }
  // Feeds `chunk` after what is left unconsumed, as the driver's read buffer does.
  UpstreamPipeline::ConsumeResult feed(std::string_view chunk) {
    buffer.append(chunk);
    auto r = pipeline.consume(buffer, t0 + 5ms, completions);
    if (!r.protocol_error) buffer.erase(0, r.used);
    return r;
  }

  Counting acct;
  UpstreamPipeline pipeline;
  Clock::time_point t0 = Clock::time_point{} + 1h;
  UpstreamCompletions completions;
  std::vector<std::string> log;
  std::string buffer;
};

// One scenario of the grind: requests, the reply stream the server sends, and the expected completions
// (and whether the stream ends in a protocol error).
struct Scenario {
  std::string name;
  std::vector<std::pair<RequestPtr, std::string>> requests;
  std::string expect_written;
  std::string replies;
  std::vector<std::string> expect_log;
  bool expect_error = false;
};

struct Outcome {
  std::vector<std::string> log;
  bool error = false;
  std::size_t left = 0;  // bytes held back unconsumed at the end
  bool operator==(const Outcome&) const = default;
};

// Runs `s` with its reply stream cut at the given positions (ascending); stops at a protocol error.
Outcome run_split(const Scenario& s, const std::vector<std::size_t>& cuts) {
  Harness h;
  for (const auto& [req, tag] : s.requests) h.add(req, tag);
  REQUIRE(h.write() == s.expect_written);
  Outcome o;
  std::size_t from = 0;
  auto piece = [&](std::size_t to) {
    if (o.error) return;
    auto r = h.feed(std::string_view(s.replies).substr(from, to - from));
    from = to;
    if (r.protocol_error) {
      o.error = true;
      CHECK_FALSE(r.error.empty());
    }
    h.run();
  };
  for (std::size_t c : cuts) piece(c);
  piece(s.replies.size());
  if (o.error) {  // the driver fails what is left
    h.pipeline.fail_all(Result::remote_error, "Protocol error from server", h.t0, h.completions);
    h.run();
  }
  o.log = h.log;
  o.left = o.error ? 0 : h.buffer.size();
  CHECK(h.pipeline.pending() == (o.error ? 0 : s.requests.size() - s.expect_log.size()));
  return o;
}

void grind(const Scenario& s) {
  INFO("scenario: " << s.name);
  const Outcome whole = run_split(s, {});
  CHECK(whole.log == s.expect_log);
  CHECK(whole.error == s.expect_error);
  CHECK(whole.left == 0);
  for (std::size_t i = 1; i < s.replies.size(); ++i) {
    INFO("split at " << i);
    REQUIRE(run_split(s, {i}) == whole);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < s.replies.size(); ++i) every.push_back(i);
  INFO("one byte at a time");
  REQUIRE(run_split(s, every) == whole);
}

RequestPtr with(RequestPtr r, auto&& fn) {
  fn(*r);
  return r;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> v;
  v.push_back({"multi-get: hits and misses in key order",
               {{make(Op::get, "a"), "a"}, {make(Op::get, "b"), "b"}, {make(Op::get, "c"), "c"}, {make(Op::get, "d"), "d"}},
               "get a b c d\r\n",
               "VALUE b 3 2\r\nBB\r\nVALUE c 0 0\r\n\r\nEND\r\n",
               {"a: notfound", "b: found f3 v=BB", "c: found", "d: notfound"}});
  v.push_back({"mixed commands in FIFO order",
               {{with(make(Op::set, "k", "val"), [](Request& r) { r.flags = 7; r.exptime = 60; }), "set"},
                {make(Op::get, "x"), "get"},
                {make(Op::delete_, "y"), "del"},
                {with(make(Op::incr, "n"), [](Request& r) { r.delta = 5; }), "incr"},
                {make(Op::version), "ver"},
                {with(make(Op::touch, "t"), [](Request& r) { r.exptime = 9; }), "touch"},
                {with(make(Op::gets, "g"), [](Request&) {}), "gets"},
                {make(Op::add, "k2", ""), "add"}},
               "set k 7 60 3\r\nval\r\nget x\r\ndelete y\r\nincr n 5\r\nversion\r\ntouch t 9\r\ngets g\r\nadd k2 0 0 0\r\n\r\n",
               "STORED\r\nEND\r\nDELETED\r\n42\r\nVERSION 1.6.18\r\nTOUCHED\r\nVALUE g 1 2 99\r\nGG\r\nEND\r\nNOT_STORED\r\n",
               {"set: stored", "get: notfound", "del: deleted", "incr: found v=42", "ver: found v=1.6.18",
                "touch: touched", "gets: found f1 c99 v=GG", "add: notstored"}});
  v.push_back({"error lines: a retrieval's error fails every key of the batch",
               {{make(Op::get, "a"), "a"}, {make(Op::get, "b"), "b"}, {make(Op::set, "s", "v"), "s"},
                {make(Op::delete_, "d"), "d"}},
               "get a b\r\nset s 0 0 1\r\nv\r\ndelete d\r\n",
               "SERVER_ERROR out of memory\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\n",
               {"a: remote_error v=out of memory", "b: remote_error v=out of memory",
                "s: client_error v=bad data chunk", "d: bad_command"}});
  v.push_back({"meta commands keep their status line",
               {{with(make(Op::mg, "m"), [](Request& r) { r.args = "v f"; }), "mg"},
                {with(make(Op::mg, "n"), [](Request& r) { r.args = "v"; }), "miss"},
                {with(make(Op::md, "o"), [](Request&) {}), "md"}},
               "mg m v f\r\nmg n v\r\nmd o\r\n",
               "VA 2 f5\r\nhi\r\nEN\r\nHD\r\n",
               {"mg: found v=hi m=VA 2 f5", "miss: notfound m=EN", "md: deleted m=HD"}});
  v.push_back({"leases: lease-get won, hot miss, hit; lease-set; metaget with the peer as \"from\"",
               {{make(Op::lease_get, "l"), "won"},
                {make(Op::lease_get, "l"), "hot"},
                {make(Op::lease_get, "h"), "hit"},
                {with(make(Op::lease_set, "l", "xy"), [](Request& r) { r.cas_unique = 8; }), "lset"},
                {make(Op::metaget, "h"), "meta"},
                {make(Op::metaget, "z"), "nometa"}},
               "mg l v f c N10\r\nmg l v f c N10\r\nmg h v f c N10\r\nms l 2 C7 F0 T0\r\nxy\r\nmg h s t\r\nmg z s t\r\n",
               "VA 0 f0 c7 W\r\n\r\nVA 0 f0 c7 Z\r\n\r\nVA 3 f4 c9\r\nabc\r\nHD\r\nHD s3 t100\r\nEN\r\n",
               {"won: notfound c8", "hot: notfound c1", "hit: found f4 v=abc", "lset: stored",
                "meta: found t1000100 v=10.0.0.1", "nometa: notfound"}});
  v.push_back({"a VALUE for a key nobody asked for is a protocol error before anything completes",
               {{make(Op::get, "a"), "a"}, {make(Op::get, "b"), "b"}},
               "get a b\r\n",
               "VALUE z 0 1\r\nZ\r\nEND\r\n",
               {"a: remote_error v=Protocol error from server", "b: remote_error v=Protocol error from server"},
               true});
  v.push_back({"items out of key order: the skipped key was a miss, its late item an error",
               {{make(Op::get, "a"), "a"}, {make(Op::get, "b"), "b"}, {make(Op::set, "s", "v"), "s"}},
               "get a b\r\nset s 0 0 1\r\nv\r\n",
               "VALUE b 0 1\r\nB\r\nVALUE a 0 1\r\nA\r\nEND\r\nSTORED\r\n",
               {"a: notfound", "b: found v=B", "s: remote_error v=Protocol error from server"},
               true});
  v.push_back({"a reply nobody asked for is a protocol error",
               {{make(Op::delete_, "a"), "a"}},
               "delete a\r\n",
               "DELETED\r\nSTORED\r\n",
               {"a: deleted"},
               true});
  v.push_back({"an unparsable reply is a protocol error",
               {{make(Op::set, "a", "1"), "a"}, {make(Op::set, "b", "2"), "b"}},
               "set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n",
               "STORED\r\nWHATEVER\r\n",
               {"a: stored", "b: remote_error v=Protocol error from server"},
               true});
  v.push_back({"routing prefixes are stripped, and matched without them",
               {{with(make(Op::get, "/r/c/foo"), [](Request& r) { r.prefix_len = 5; }), "foo"},
                {with(make(Op::get, "/r/c/bar"), [](Request& r) { r.prefix_len = 5; }), "bar"}},
               "get foo bar\r\n",
               "VALUE bar 0 3\r\nBAR\r\nEND\r\n",
               {"foo: notfound", "bar: found v=BAR"}});
  return v;
}

}  // namespace

TEST_CASE("UpstreamPipeline grind: every reply stream whole, split at every byte, and byte by byte",
          "[upstream_pipeline]") {
  for (const auto& s : scenarios()) grind(s);
}

TEST_CASE("UpstreamPipeline batches consecutive retrievals of one op and exptime", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::get, "a"), "a");
  h.add(make(Op::get, "b"), "b");
  h.add(make(Op::gets, "c"), "c");
  h.add(with(make(Op::gat, "d"), [](Request& r) { r.exptime = 10; }), "d");
  h.add(with(make(Op::gat, "e"), [](Request& r) { r.exptime = 10; }), "e");
  h.add(with(make(Op::gat, "f"), [](Request& r) { r.exptime = 20; }), "f");
  h.add(make(Op::set, "s", "v"), "s");
  h.add(make(Op::get, "g"), "g");
  h.add(make(Op::get, "g"), "g2");
  CHECK(h.write() == "get a b\r\ngets c\r\ngat 10 d e\r\ngat 20 f\r\nset s 0 0 1\r\nv\r\nget g g\r\n");
  // The same key twice in one multi-get: the server sends the item twice, one for each.
  CHECK_FALSE(h.feed("END\r\nEND\r\nEND\r\nEND\r\nSTORED\r\nVALUE g 0 1\r\nG\r\nVALUE g 0 1\r\nG\r\nEND\r\n").protocol_error);
  h.run();
  CHECK(h.log.back() == "g2: found v=G");
  CHECK(h.log.size() == 9);
  CHECK(h.pipeline.pending() == 0);
}

TEST_CASE("UpstreamPipeline caps a batch at max_batch_keys", "[upstream_pipeline]") {
  Harness h(3);
  for (int i = 1; i <= 7; ++i) h.add(make(Op::get, "k" + std::to_string(i)), "k");
  CHECK(h.write() == "get k1 k2 k3\r\nget k4 k5 k6\r\nget k7\r\n");
}

TEST_CASE("UpstreamPipeline never merges into a command already written", "[upstream_pipeline]") {
  Harness h;
  std::string out;
  CHECK_FALSE(h.pipeline.prepare_write(out));
  h.add(make(Op::get, "a"), "a");
  CHECK(h.pipeline.has_unwritten());
  CHECK(h.write() == "get a\r\n");
  CHECK_FALSE(h.pipeline.has_unwritten());
  h.add(make(Op::get, "b"), "b");
  CHECK(h.write() == "get b\r\n");
  CHECK(h.write().empty());
  CHECK(h.feed("VALUE b 0 1\r\nB\r\n").protocol_error);  // b's item while a's END is due
}

TEST_CASE("UpstreamPipeline: replies to commands not yet written are a protocol error", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::set, "a", "1"), "a");
  auto r = h.feed("STORED\r\n");
  CHECK(r.protocol_error);
  CHECK(r.error == "bytes nobody asked for");
  CHECK(h.completions.empty());
}

TEST_CASE("UpstreamPipeline never calls done inline", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::get, "a"), "a");
  h.add(make(Op::set, "b", "x"), "b");
  h.write();
  auto r = h.feed("VALUE a 0 1\r\nA\r\nEND\r\nSTOR");
  CHECK(r.used == std::string_view("VALUE a 0 1\r\nA\r\nEND\r\n").size());
  CHECK(h.log.empty());  // handed back, not called
  REQUIRE(h.completions.size() == 1);
  h.run();
  CHECK(h.log == std::vector<std::string>{"a: found v=A"});
  h.feed("ED\r\n");
  CHECK(h.log.size() == 1);
  h.run();
  CHECK(h.log.back() == "b: stored");
}

TEST_CASE("UpstreamPipeline reports how many bytes an incomplete value needs", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::get, "a"), "a");
  h.write();
  std::string head = "VALUE a 0 100000\r\n";
  auto r = h.pipeline.consume(head + "xyz", h.t0, h.completions);
  CHECK_FALSE(r.protocol_error);
  CHECK(r.used == 0);
  CHECK(r.need >= head.size() + 100000 + 2);
  CHECK(h.completions.empty());
}

TEST_CASE("UpstreamPipeline fail_all answers every request in order and starts afresh", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::get, "a"), "a");
  h.add(make(Op::get, "b"), "b");
  h.write();
  h.add(make(Op::delete_, "c"), "c");  // queued, not written
  CHECK(h.pipeline.pending() == 3);
  h.pipeline.fail_all(Result::timeout, "Reply timeout", h.t0 + 1s, h.completions);
  CHECK(h.pipeline.pending() == 0);
  CHECK_FALSE(h.pipeline.next_deadline());
  h.run();
  CHECK(h.log == std::vector<std::string>{"a: timeout v=Reply timeout", "b: timeout v=Reply timeout",
                                          "c: timeout v=Reply timeout"});
  // Nothing of the old stream is remembered: the next request is written alone and matched alone.
  h.add(make(Op::get, "d"), "d");
  CHECK(h.write() == "get d\r\n");
  CHECK_FALSE(h.feed("END\r\n").protocol_error);
  h.run();
  CHECK(h.log.back() == "d: notfound");
  CHECK(h.acct.completed_by_result[Result::timeout] == 3);
}

TEST_CASE("UpstreamPipeline deadlines: the oldest command's", "[upstream_pipeline]") {
  Harness h;
  CHECK_FALSE(h.pipeline.next_deadline());
  h.add(make(Op::get, "a"), "a", {}, h.t0);
  h.add(make(Op::get, "b"), "b", {}, h.t0 + 300ms);  // merged into a's command: a's deadline
  SendOptions fast;
  fast.timeout_ms = 50;
  h.add(make(Op::set, "c", "v"), "c", fast, h.t0 + 400ms);
  REQUIRE(h.pipeline.next_deadline());
  CHECK(*h.pipeline.next_deadline() == h.t0 + 1000ms);
  h.write();
  h.feed("END\r\n");
  CHECK(*h.pipeline.next_deadline() == h.t0 + 450ms);
  h.feed("STORED\r\n");
  CHECK_FALSE(h.pipeline.next_deadline());
}

TEST_CASE("UpstreamPipeline accounting: queued, completed with the wait, error replies", "[upstream_pipeline]") {
  Harness h;
  h.add(make(Op::get, "a"), "a", {}, h.t0);
  h.add(make(Op::get, "b"), "b", {}, h.t0);
  h.add(make(Op::set, "s", "v"), "s", {}, h.t0 + 2ms);
  h.write();
  h.feed("VALUE a 0 1\r\nA\r\nEND\r\nSERVER_ERROR busy\r\n");  // consumed at t0 + 5ms
  CHECK(h.acct.queued_by_op[Op::get] == 2);
  CHECK(h.acct.queued_by_op[Op::set] == 1);
  CHECK(h.acct.completed_by_result[Result::found] == 1);
  CHECK(h.acct.completed_by_result[Result::not_found] == 1);
  CHECK(h.acct.completed_by_result[Result::remote_error] == 1);
  CHECK(h.acct.errors == 1);
  CHECK(h.acct.waits == std::vector<Clock::duration>{5ms, 5ms, 3ms});
}
