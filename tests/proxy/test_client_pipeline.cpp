// ClientPipeline (proxy/client_pipeline.hpp): the socket-free core of a client connection, driven here by
// byte streams and a fake routing context that answers synchronously, later, or out of order. No socket.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "proxy/client_pipeline.hpp"
#include "proxy/options.hpp"
#include "proxy/stats.hpp"

using namespace mcrelay;

namespace {

// A routing context over a fake memcached (a map). The reply is decided when the request is routed, in
// request order, so delivering it later or out of order changes nothing but the time it arrives.
class FakeContext final : public ClientContext {
 public:
  enum class Mode { sync, later };
  Mode mode = Mode::later;
  std::map<std::string, std::string> store;
  std::vector<std::string> refuse;         // keys the proxy answers itself (as a key too long would be)
  std::vector<std::string> fail;           // keys whose server fails
  std::vector<RequestPtr> routed;          // every request routed, in order
  struct Pending {
    ReplyFn done;
    Reply reply;
  };
  std::vector<Pending> pending;
  int progress = 0;
  bool shutdown = false;

  bool route(const RequestPtr& req, ReplyFn done, Reply& answer) override {
    routed.push_back(req);
    if (std::find(refuse.begin(), refuse.end(), req->key) != refuse.end()) {
      answer = Reply::error(Result::client_error, "bad key");
      return false;
    }
    Reply r = answer_for(*req);
    if (mode == Mode::sync) {
      done(std::move(r));
    } else {
      pending.push_back({std::move(done), std::move(r)});
    }
    return true;
  }
  void stats(std::string_view, UniqueFunction<void(std::string)> done) override { done("STAT fake 1\r\nEND\r\n"); }
  void request_shutdown() override { shutdown = true; }
  void on_progress() override { ++progress; }

  // Delivers pending replies: index i (in routing order among those pending), all in order, or all reversed.
  void complete(std::size_t i) {
    Pending p = std::move(pending.at(i));
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    p.done(std::move(p.reply));
  }
  void complete_reversed() {
    while (!pending.empty()) complete(pending.size() - 1);
  }
  void complete_in_order() {
    while (!pending.empty()) complete(0);
  }

 private:
  Reply answer_for(const Request& req) {
    if (std::find(fail.begin(), fail.end(), req.key) != fail.end()) {
      return Reply::error(Result::remote_error, "out of memory");
    }
    auto it = store.find(req.key);
    switch (req.op) {
      case Op::get: case Op::gets: {
        if (it == store.end()) return Reply(Result::not_found);
        Reply r(Result::found, it->second);
        r.cas = 7;
        return r;
      }
      case Op::set:
        store[req.key] = req.value;
        return Reply(Result::stored);
      case Op::add:
        if (it != store.end()) return Reply(Result::not_stored);
        store[req.key] = req.value;
        return Reply(Result::stored);
      case Op::delete_:
        if (it == store.end()) return Reply(Result::not_found);
        store.erase(it);
        return Reply(Result::deleted);
      case Op::mg: {
        Reply r(it == store.end() ? Result::not_found : Result::found);
        if (it == store.end()) {
          r.meta_line = "EN";
        } else {
          r.meta_line = "VA " + std::to_string(it->second.size());
          r.value = it->second;
        }
        return r;
      }
      case Op::ms: {
        store[req.key] = req.value;
        Reply r(Result::stored);
        r.meta_line = "HD";
        return r;
      }
      case Op::md: {
        Reply r(it == store.end() ? Result::not_found : Result::deleted);
        r.meta_line = it == store.end() ? "NF" : "HD";
        if (it != store.end()) store.erase(it);
        return r;
      }
      case Op::flush_all:
        store.clear();
        return Reply(Result::ok);
      default:
        return Reply(Result::not_found);
    }
  }
};

struct Harness {
  Options options;
  WorkerStats stats;
  FakeContext ctx;
  Ref<ClientPipeline> pipe;

  explicit Harness(FakeContext::Mode mode = FakeContext::Mode::later, ParserLimits limits = {}) {
    ctx.mode = mode;
    pipe = make_ref<ClientPipeline>(ctx, options, stats, limits);
  }
  ~Harness() { pipe->close(); }
  ReadAction feed(std::string_view s) { return pipe->feed(s); }
  // The bytes ready for the client, taken (as the driver's write would).
  std::string take() {
    std::string out;
    out.swap(pipe->output());
    return out;
  }
};

std::string value_line(std::string_view key, std::string_view value) {
  return "VALUE " + std::string(key) + " 0 " + std::to_string(value.size()) + "\r\n" + std::string(value) + "\r\n";
}

}  // namespace

TEST_CASE("client pipeline: replies go out in request order when servers answer out of order", "[client_pipeline]") {
  Harness h;
  h.ctx.store = {{"a", "1"}, {"b", "22"}};
  REQUIRE(h.feed("get a\r\nget b\r\nset c 0 0 3\r\nxyz\r\nget zz\r\n") == ReadAction::read);
  REQUIRE(h.ctx.pending.size() == 4);
  REQUIRE(h.pipe->outstanding() == 4);
  h.ctx.complete(3);  // get zz: waits for the three before it
  h.ctx.complete(1);  // get b
  CHECK(h.take().empty());
  h.ctx.complete(1);  // set c
  CHECK(h.take().empty());
  h.ctx.complete(0);  // get a: everything goes out, in order
  CHECK(h.take() == value_line("a", "1") + "END\r\n" + value_line("b", "22") + "END\r\nSTORED\r\nEND\r\n");
  CHECK(h.pipe->outstanding() == 0);
  CHECK(h.stats.requests_processing.get() == 0);
}

TEST_CASE("client pipeline: a multi-get is split per key and merged under one END in the client's order",
          "[client_pipeline]") {
  Harness h;
  h.ctx.store = {{"a", "1"}, {"c", "333"}};
  h.feed("get a b c a\r\n");
  REQUIRE(h.ctx.routed.size() == 4);
  CHECK(h.ctx.routed[1]->key == "b");
  h.ctx.complete_reversed();
  CHECK(h.take() == value_line("a", "1") + value_line("c", "333") + value_line("a", "1") + "END\r\n");
  CHECK(h.stats.get_hits.get() == 3);
  CHECK(h.stats.get_misses.get() == 1);

  SECTION("gets carries the cas") {
    h.feed("gets c\r\n");
    h.ctx.complete_in_order();
    CHECK(h.take() == "VALUE c 0 3 7\r\n333\r\nEND\r\n");
  }
  SECTION("a key refused by the proxy ends the reply with its error in place of END (mcrouter)") {
    h.ctx.refuse = {"bad"};
    h.feed("get a bad c\r\n");
    CHECK(h.ctx.pending.size() == 2);
    h.ctx.complete_reversed();
    CHECK(h.take() == value_line("a", "1") + value_line("c", "333") + "CLIENT_ERROR bad key\r\n");
  }
  SECTION("a failed server reads as a miss unless every key failed") {
    h.options.miss_on_get_errors = false;
    h.ctx.fail = {"c", "x"};
    h.feed("get a c\r\nget c x\r\n");
    h.ctx.complete_reversed();
    CHECK(h.take() == value_line("a", "1") + "END\r\nSERVER_ERROR out of memory\r\n");
  }
}

TEST_CASE("client pipeline: meta quiet mode drops nothing-to-report replies and mn flushes after them",
          "[client_pipeline]") {
  Harness h;
  h.ctx.store = {{"b", "bee"}};
  h.feed("mg a v q\r\nmg b v q\r\nms c 2 q\r\nhi\r\nmd zz q\r\nmn\r\n");
  REQUIRE(h.ctx.routed.size() == 4);
  // Upstream is asked without q: replies match requests one to one.
  CHECK(h.ctx.routed[0]->args.find('q') == std::string::npos);
  CHECK(h.take().empty());  // mn waits for the four before it
  h.ctx.complete_reversed();
  CHECK(h.take() == "VA 3\r\nbee\r\nNF\r\nMN\r\n");
}

TEST_CASE("client pipeline: noreply writes nothing but keeps its place in the order", "[client_pipeline]") {
  Harness h;
  h.feed("set a 0 0 1 noreply\r\nx\r\nmn\r\n");
  CHECK(h.ctx.routed.at(0)->noreply);
  CHECK(h.take().empty());  // mn is not answered before the server answered the set
  h.ctx.complete_in_order();
  CHECK(h.take() == "MN\r\n");
  h.feed("verbosity 1 noreply\r\nversion\r\n");
  CHECK(h.take() == "VERSION mcrelay " MCRELAY_VERSION "\r\n");
}

TEST_CASE("client pipeline: errors the proxy makes carry memcached's strings", "[client_pipeline]") {
  Harness h(FakeContext::Mode::sync);
  h.feed("bogus\r\n");
  CHECK(h.take() == "ERROR\r\n");
  h.feed("set a 0 0 1\r\nxyz\r\n");  // as memcached: the data block is read, then "\r\n" is a line
  CHECK(h.take() == "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  h.feed("flush_all\r\n");
  CHECK(h.take() == "SERVER_ERROR Command disabled\r\n");
  h.feed("stats\r\n");
  CHECK(h.take() == "STAT fake 1\r\nEND\r\n");
  CHECK(h.ctx.routed.empty());
  CHECK(h.stats.client_errors.get() >= 4);
  h.options.enable_flush_cmd = true;
  h.feed("flush_all\r\n");
  CHECK(h.take() == "OK\r\n");
  CHECK(h.ctx.routed.size() == 1);
}

TEST_CASE("client pipeline: a value too large drops the stale item upstream, as memcached", "[client_pipeline]") {
  ParserLimits limits;
  limits.max_item_size = 4;
  Harness h(FakeContext::Mode::sync, limits);
  h.ctx.store = {{"a", "old"}};
  h.feed("set a 0 0 10\r\n0123456789\r\nget a\r\n");
  CHECK(h.take() == "SERVER_ERROR object too large for cache\r\nEND\r\n");
  REQUIRE(h.ctx.routed.size() == 2);
  CHECK(h.ctx.routed[0]->op == Op::delete_);
}

TEST_CASE("client pipeline: reading pauses at the outstanding limit and resumes below half", "[client_pipeline]") {
  Harness h;
  h.options.max_client_outstanding = 4;
  std::string in;
  for (int i = 0; i < 10; ++i) in += "get k" + std::to_string(i) + "\r\n";
  CHECK(h.feed(in) == ReadAction::pause);
  CHECK(h.ctx.routed.size() == 4);
  CHECK(h.pipe->paused());
  CHECK_FALSE(h.pipe->can_resume());
  h.ctx.complete(0);
  CHECK_FALSE(h.pipe->can_resume());  // 3 outstanding: above half
  h.ctx.complete(0);
  CHECK(h.pipe->can_resume());        // 2 outstanding
  CHECK(h.pipe->resume() == ReadAction::pause);  // two more routed from what was kept, then the limit again
  CHECK(h.ctx.routed.size() == 6);
  h.ctx.complete_in_order();
  CHECK(h.pipe->resume() == ReadAction::read);
  CHECK(h.ctx.routed.size() == 10);
  h.ctx.complete_in_order();
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "END\r\n";
  CHECK(h.take() == expected);
}

TEST_CASE("client pipeline: multi-get keys in flight have their own budget", "[client_pipeline]") {
  Harness h;
  h.options.max_client_outstanding = 2;  // and 8 keys per request: 16 keys
  std::string keys;
  for (int i = 0; i < 20; ++i) keys += " k" + std::to_string(i);
  // One request always gets through, even larger than the budget; the next waits.
  CHECK(h.feed("get" + keys + "\r\nget a\r\n") == ReadAction::pause);
  CHECK(h.ctx.routed.size() == 20);
  h.ctx.complete_in_order();
  CHECK(h.pipe->can_resume());
  CHECK(h.pipe->resume() == ReadAction::read);
  CHECK(h.ctx.routed.size() == 21);
}

TEST_CASE("client pipeline: reading pauses while 4 MiB of replies wait for the client", "[client_pipeline]") {
  Harness h(FakeContext::Mode::sync);
  h.pipe->set_write_in_flight(4 * 1024 * 1024 + 1);
  CHECK(h.feed("get a\r\nget b\r\n") == ReadAction::pause);
  CHECK(h.ctx.routed.empty());
  h.pipe->set_write_in_flight(3 * 1024 * 1024);
  CHECK_FALSE(h.pipe->can_resume());  // above half
  h.pipe->set_write_in_flight(0);
  CHECK(h.pipe->can_resume());
  CHECK(h.pipe->resume() == ReadAction::read);
  CHECK(h.take() == "END\r\nEND\r\n");
}

TEST_CASE("client pipeline: shutdown is refused with memcached's words unless enabled", "[client_pipeline]") {
  Harness h;
  h.feed("shutdown\r\n");
  CHECK(h.take() == "ERROR: shutdown not enabled\r\n");
  CHECK_FALSE(h.ctx.shutdown);
  h.options.enable_shutdown_cmd = true;
  h.feed("shutdown now\r\n");
  CHECK(h.take() == "CLIENT_ERROR invalid shutdown mode\r\n");
  h.feed("shutdown graceful\r\n");
  CHECK(h.take().empty());  // no reply, as mcrouter and memcached: the proxy drains
  CHECK(h.ctx.shutdown);
}

TEST_CASE("client pipeline: unread output over --max-client-queued-bytes asks the driver to close",
          "[client_pipeline]") {
  Harness h(FakeContext::Mode::sync);
  h.options.max_client_queued_bytes = 100;
  h.ctx.store = {{"a", std::string(60, 'v')}};
  h.feed("get a\r\n");
  CHECK_FALSE(h.pipe->over_limit());
  h.pipe->set_write_in_flight(50);
  h.feed("get a\r\n");
  CHECK(h.pipe->over_limit());
}

TEST_CASE("client pipeline: quit answers what came before it, then nothing", "[client_pipeline]") {
  Harness h;
  h.ctx.store = {{"a", "1"}};
  CHECK(h.feed("get a\r\nquit\r\nget a\r\n") == ReadAction::stop);
  CHECK(h.ctx.routed.size() == 1);
  CHECK_FALSE(h.pipe->done());
  h.ctx.complete_in_order();
  CHECK(h.pipe->done());
  CHECK(h.take() == value_line("a", "1") + "END\r\n");
  CHECK(h.feed("get a\r\n") == ReadAction::stop);
  CHECK(h.ctx.routed.size() == 1);
}

TEST_CASE("client pipeline: a line too long closes after its error; EOF answers what was asked",
          "[client_pipeline]") {
  Harness h;
  CHECK(h.feed("get a\r\n" + std::string(3000, 'x')) == ReadAction::stop);
  h.ctx.complete_in_order();
  CHECK(h.pipe->done());
  CHECK(h.take() == "END\r\n");  // memcached closes such a line without a word

  Harness e;
  e.feed("get a\r\nget");
  e.pipe->end_input();
  CHECK_FALSE(e.pipe->done());
  e.ctx.complete_in_order();
  CHECK(e.pipe->done());
  CHECK(e.take() == "END\r\n");
}

TEST_CASE("client pipeline: completions after close are ignored", "[client_pipeline]") {
  Harness h;
  h.feed("get a\r\nget b c\r\n");
  h.pipe->close();
  CHECK(h.stats.requests_processing.get() == 0);
  h.ctx.complete_reversed();
  CHECK(h.take().empty());
  CHECK(h.ctx.progress == 0);
}

// The grind: every stream gives the same bytes whether it arrives whole, split at any byte, or one byte at a
// time, and whether the routes answer at once or later in reverse order (in the shape of Beast's parser
// grind, test/beast/http/basic_parser.cpp).
namespace {

std::string run(const std::vector<std::string_view>& chunks, FakeContext::Mode mode) {
  Harness h(mode);
  h.options.enable_flush_cmd = true;
  h.ctx.refuse = {"refused"};
  std::string out;
  for (auto c : chunks) {
    h.feed(c);
    h.ctx.complete_reversed();
    out += h.take();
  }
  h.pipe->end_input();
  h.ctx.complete_reversed();
  out += h.take();
  return out;
}

void grind(std::string_view stream, std::string_view expected) {
  INFO("stream: " << std::string(stream));
  for (auto mode : {FakeContext::Mode::sync, FakeContext::Mode::later}) {
    REQUIRE(run({stream}, mode) == expected);
    for (std::size_t i = 1; i < stream.size(); ++i) {
      INFO("split at " << i);
      REQUIRE(run({stream.substr(0, i), stream.substr(i)}, mode) == expected);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
    REQUIRE(run(bytes, mode) == expected);
  }
}

}  // namespace

TEST_CASE("client pipeline grind: same bytes however the stream is split", "[client_pipeline]") {
  grind("set a 0 0 5\r\nhello\r\nget a\r\n", "STORED\r\n" + value_line("a", "hello") + "END\r\n");
  grind("set a 0 0 1\r\n1\r\nset b 0 0 2 noreply\r\n22\r\nget b x a refused b\r\ndelete a\r\ndelete a\r\n",
        "STORED\r\n" + value_line("b", "22") + value_line("a", "1") + value_line("b", "22") +
            "CLIENT_ERROR bad key\r\nDELETED\r\nNOT_FOUND\r\n");
  grind("ms k 3 q\r\nabc\r\nmg k v q\r\nmg nope v q\r\nmd k q\r\nmd k q\r\nmn\r\n", "VA 3\r\nabc\r\nNF\r\nMN\r\n");
  grind("bogus\r\nset a 0 0 1\r\nxyz\r\nget a\r\nversion\r\n",
        "ERROR\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\nVERSION mcrelay " MCRELAY_VERSION "\r\n");
  grind("add a 0 0 1\r\nx\r\nadd a 0 0 1\r\ny\r\nflush_all\r\nget a\r\nquit\r\nget a\r\n",
        "STORED\r\nNOT_STORED\r\nOK\r\nEND\r\n");
  grind("set a 0 0 1 noreply\r\nz\r\nverbosity 1\r\nmn\r\nget a a\r\n",
        "OK\r\nMN\r\n" + value_line("a", "z") + value_line("a", "z") + "END\r\n");
}
