// Route handles with meta requests (mg, ms, md, ma, me, mn) over scripted destinations: which policy an
// OperationSelectorRoute picks for them, how AllSyncRoute merges meta replies (and what the client then sees),
// FailoverRoute on meta errors, and WarmUpRoute with meta gets.
#include <catch2/catch.hpp>

#include "protocol/reply_writer.hpp"
#include "routes/operation_selector_route.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// A meta request as the client session builds it: the flags to forward (q removed) in `args`.
RequestPtr meta_req(Op op, std::string key, std::string flags = {}, bool base64 = false) {
  RequestPtr r = make_req(op, std::move(key));
  r->args = std::move(flags);
  r->base64_key = base64;
  if (op == Op::ms) r->value = "val";
  return r;
}

// A reply as the upstream connection builds it from a meta status line (meta_result + meta_line).
Reply meta(Op op, std::string line, std::string value = {}) {
  Reply r(meta_result(op, std::string_view(line).substr(0, 2)), std::move(value));
  r.meta_line = std::move(line);
  return r;
}

// What the client is sent for `r` (empty when quiet mode hides it).
std::string client_sees(Op op, const Reply& r, bool quiet = false) {
  std::string out;
  if (!(quiet && quiet_suppresses(op, r))) append_meta_reply(out, op, r);
  return out;
}

}  // namespace

TEST_CASE("meta: OperationSelectorRoute maps meta commands onto get/set/delete/arith policies", "[routes][meta]") {
  Harness h(R"({"type": "OperationSelectorRoute",
                "operation_policies": {"get": "PoolRoute|A", "set": "PoolRoute|B", "delete": "PoolRoute|C",
                                       "incr": "PoolRoute|D"},
                "default_policy": "PoolRoute|E"})");
  struct Case {
    Op op;
    const char* dest;
  };
  for (Case c : {Case{Op::mg, "a:1"}, Case{Op::ms, "b:1"}, Case{Op::md, "c:1"}, Case{Op::ma, "d:1"}}) {
    INFO(op_name(c.op));
    auto before = h.sent_to(c.dest);
    h.route(meta_req(c.op, "k", "v"));
    CHECK(h.sent_to(c.dest) == before + 1);
    CHECK(h.d(c.dest).seen.back() == std::string(op_name(c.op)) + " k");
    CHECK(h.where(c.op, "k") == std::vector<std::string>{c.dest});
    // The meta request reaches the destination as it came: same op, flags and key form.
    const Request& sent = *h.d(c.dest).requests.back();
    CHECK(sent.op == c.op);
    CHECK(sent.args == "v");
  }
  SECTION("me has no get policy of its own: metaget, else the default") {
    h.route(meta_req(Op::me, "k"));
    CHECK(h.d("e:1").seen == std::vector<std::string>{"me k"});
  }
  SECTION("the policy names") {
    CHECK(OperationSelectorRoute::policy_name(Op::mg) == "get");
    CHECK(OperationSelectorRoute::policy_name(Op::ms) == "set");
    CHECK(OperationSelectorRoute::policy_name(Op::md) == "delete");
    CHECK(OperationSelectorRoute::policy_name(Op::ma) == "incr");
    CHECK(OperationSelectorRoute::policy_name(Op::me) == "metaget");
    CHECK(OperationSelectorRoute::policy_name(Op::mn).empty());
  }
  SECTION("the classic and meta forms of an operation pick the same route") {
    for (auto [meta_op, classic] : {std::pair{Op::mg, Op::get}, std::pair{Op::ms, Op::set},
                                    std::pair{Op::md, Op::delete_}, std::pair{Op::ma, Op::incr}}) {
      INFO(op_name(meta_op));
      CHECK(h.where(meta_op, "x") == h.where(classic, "x"));
    }
  }
}

TEST_CASE("meta: OperationSelectorRoute without a policy gives the bare meta code", "[routes][meta]") {
  Harness h(R"({"type": "OperationSelectorRoute", "operation_policies": {"get": "PoolRoute|A"}})");
  h.d("a:1").reply = meta(Op::mg, "VA 1 f0", "x");
  CHECK(client_sees(Op::mg, h.route(meta_req(Op::mg, "k", "v f"))) == "VA 1 f0\r\nx\r\n");
  CHECK(client_sees(Op::ms, h.route(meta_req(Op::ms, "k"))) == "NS\r\n");
  CHECK(client_sees(Op::md, h.route(meta_req(Op::md, "k"))) == "NF\r\n");
  CHECK(client_sees(Op::ma, h.route(meta_req(Op::ma, "k"))) == "NF\r\n");
  CHECK(client_sees(Op::me, h.route(meta_req(Op::me, "k"))) == "EN\r\n");
  CHECK(h.sent_to("a:1") == 1);
}

TEST_CASE("meta: AllSyncRoute merges meta replies, the worst wins", "[routes][meta]") {
  Harness h(R"("AllSyncRoute|Pool|ABC")");
  auto& a = h.d("a:1");
  auto& b = h.d("b:1");
  auto& c = h.d("c:1");
  SECTION("ms: all stored, quiet hides the merged HD") {
    a.reply = meta(Op::ms, "HD O7 kk");
    b.reply = meta(Op::ms, "HD O7 kk");
    c.reply = meta(Op::ms, "HD O7 kk");
    Reply r = h.route(meta_req(Op::ms, "k", "O7 k"));
    CHECK(r.result == Result::stored);
    CHECK(client_sees(Op::ms, r) == "HD O7 kk\r\n");
    CHECK(client_sees(Op::ms, r, /*quiet=*/true).empty());
    for (auto* n : {"a:1", "b:1", "c:1"}) {
      CHECK(h.d(n).seen == std::vector<std::string>{"ms k"});
      CHECK(h.d(n).requests.back()->args == "O7 k");
      CHECK(h.d(n).requests.back()->value == "val");
    }
  }
  SECTION("ms: one NS beats two HD; the client sees that server's line, even in quiet mode") {
    a.reply = meta(Op::ms, "HD O1");
    b.reply = meta(Op::ms, "NS O1");
    c.reply = meta(Op::ms, "HD O1");
    Reply r = h.route(meta_req(Op::ms, "k", "O1 ME"));
    CHECK(r.result == Result::not_stored);
    CHECK(r.meta_line == "NS O1");
    CHECK(client_sees(Op::ms, r, /*quiet=*/true) == "NS O1\r\n");
  }
  SECTION("ms: an error beats everything and is sent in quiet mode") {
    a.reply = meta(Op::ms, "HD");
    b.reply = Reply::error(Result::remote_error, "out of memory storing object");
    c.reply = meta(Op::ms, "EX");
    Reply r = h.route(meta_req(Op::ms, "k", "C5"));
    CHECK(r.result == Result::remote_error);
    CHECK(client_sees(Op::ms, r, /*quiet=*/true) == "SERVER_ERROR out of memory storing object\r\n");
  }
  SECTION("a server's error beats a proxy-side error (mcrouter's order)") {
    a.reply = Reply::error(Result::client_error, "bad command line format");
    b.reply = err(Result::connect_error);
    c.reply = meta(Op::md, "HD");
    Reply r = h.route(meta_req(Op::md, "k"));
    CHECK(r.result == Result::client_error);
    CHECK(client_sees(Op::md, r, /*quiet=*/true) == "CLIENT_ERROR bad command line format\r\n");
    a.reply = meta(Op::md, "NF");
    r = h.route(meta_req(Op::md, "k"));
    CHECK(r.result == Result::connect_error);
    CHECK(client_sees(Op::md, r, /*quiet=*/true) == "SERVER_ERROR test error\r\n");
  }
  SECTION("md: NF beats HD") {
    a.reply = meta(Op::md, "HD kk");
    b.reply = meta(Op::md, "HD kk");
    c.reply = meta(Op::md, "NF kk");
    Reply r = h.route(meta_req(Op::md, "k", "k"));
    CHECK(r.result == Result::not_found);
    CHECK(client_sees(Op::md, r, /*quiet=*/true) == "NF kk\r\n");
  }
  SECTION("mg: a miss beats a hit; the line and its value come from the same server") {
    a.reply = meta(Op::mg, "VA 3 c11", "aaa");
    b.reply = meta(Op::mg, "EN");
    c.reply = meta(Op::mg, "VA 1 c99", "c");
    Reply r = h.route(meta_req(Op::mg, "k", "v c"));
    CHECK(r.result == Result::not_found);
    CHECK(client_sees(Op::mg, r) == "EN\r\n");
    CHECK(client_sees(Op::mg, r, /*quiet=*/true).empty());
  }
  SECTION("mg: all hits: one whole reply, never one server's line with another's value") {
    a.reply = meta(Op::mg, "VA 3 c11", "aaa");
    b.reply = meta(Op::mg, "VA 2 c22", "bb");
    c.reply = meta(Op::mg, "VA 1 c33", "c");
    Reply r = h.route(meta_req(Op::mg, "k", "v c"));
    CHECK(r.result == Result::found);
    std::string seen = client_sees(Op::mg, r);
    CHECK((seen == "VA 3 c11\r\naaa\r\n" || seen == "VA 2 c22\r\nbb\r\n" || seen == "VA 1 c33\r\nc\r\n"));
  }
  SECTION("ma: NF beats VA") {
    a.reply = meta(Op::ma, "VA 1", "6");
    b.reply = meta(Op::ma, "NF");
    c.reply = meta(Op::ma, "VA 1", "6");
    Reply r = h.route(meta_req(Op::ma, "k", "v"));
    CHECK(client_sees(Op::ma, r, /*quiet=*/true) == "NF\r\n");
    b.reply = meta(Op::ma, "VA 1", "6");
    r = h.route(meta_req(Op::ma, "k", "v"));
    CHECK(client_sees(Op::ma, r) == "VA 1\r\n6\r\n");
    CHECK(client_sees(Op::ma, r, /*quiet=*/true).empty());
  }
  SECTION("answers in any order: the worst still wins") {
    for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
    auto ans = h.start(meta_req(Op::ms, "k", "O9"));
    c.release_one(meta(Op::ms, "NS O9"));
    a.release_one(meta(Op::ms, "HD O9"));
    CHECK(ans->calls == 0);
    b.release_one(meta(Op::ms, "HD O9"));
    CHECK(ans->calls == 1);
    CHECK(ans->reply.meta_line == "NS O9");
  }
}

TEST_CASE("meta: FailoverRoute on meta errors", "[routes][meta]") {
  Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  auto& a = h.d("a:1");
  auto& b = h.d("b:1");
  SECTION("a transport error fails over; the next child's meta reply is sent as it came") {
    a.reply = err(Result::timeout);
    b.reply = meta(Op::mg, "VA 2 f5 Oab kk", "hi");
    Reply r = h.route(meta_req(Op::mg, "k", "v f Oab k"));
    CHECK(client_sees(Op::mg, r) == "VA 2 f5 Oab kk\r\nhi\r\n");
    CHECK(b.requests.size() == 1);
    CHECK(b.requests[0]->op == Op::mg);
    CHECK(b.requests[0]->args == "v f Oab k");
    CHECK(h.sent_to("c:1") == 0);
  }
  SECTION("the same request, base64 key and all, goes to the next child") {
    a.reply = err(Result::connect_error);
    b.reply = meta(Op::ms, "HD");
    h.route(meta_req(Op::ms, "k\r\nbinary", "b T0", /*base64=*/true));
    REQUIRE(b.requests.size() == 1);
    CHECK(b.requests[0]->base64_key);
    CHECK(b.requests[0]->key == "k\r\nbinary");
    CHECK(b.requests[0]->args == "b T0");
    CHECK(b.requests[0]->value == "val");
  }
  SECTION("SERVER_ERROR from memcached fails over") {
    a.reply = Reply::error(Result::remote_error, "out of memory storing object");
    b.reply = meta(Op::ms, "HD");
    CHECK(client_sees(Op::ms, h.route(meta_req(Op::ms, "k"))) == "HD\r\n");
  }
  SECTION("meta misses and not-stored are answers, not failures") {
    a.reply = meta(Op::mg, "EN");
    CHECK(client_sees(Op::mg, h.route(meta_req(Op::mg, "k", "v"))) == "EN\r\n");
    a.reply = meta(Op::md, "NF");
    CHECK(client_sees(Op::md, h.route(meta_req(Op::md, "k"))) == "NF\r\n");
    a.reply = meta(Op::ms, "NS");
    CHECK(client_sees(Op::ms, h.route(meta_req(Op::ms, "k", "ME"))) == "NS\r\n");
    a.reply = meta(Op::ma, "NF");
    CHECK(client_sees(Op::ma, h.route(meta_req(Op::ma, "k"))) == "NF\r\n");
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("CLIENT_ERROR (a malformed meta line) is not failed over") {
    a.reply = Reply::error(Result::client_error, "invalid flag");
    CHECK(client_sees(Op::mg, h.route(meta_req(Op::mg, "k", "zz"))) == "CLIENT_ERROR invalid flag\r\n");
    CHECK(h.sent_to("b:1") == 0);
  }
  SECTION("every child fails: the last error, sent even in quiet mode") {
    a.reply = err(Result::timeout);
    b.reply = err(Result::tko);
    h.d("c:1").reply = Reply::error(Result::connect_error, "Connection refused");
    Reply r = h.route(meta_req(Op::ms, "k"));
    CHECK(client_sees(Op::ms, r, /*quiet=*/true) == "SERVER_ERROR Connection refused\r\n");
  }
}

TEST_CASE("meta: FailoverRoute failover_errors classes apply to meta commands", "[routes][meta]") {
  Harness h(R"({"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"],
                "failover_errors": {"gets": ["timeout"], "updates": ["connect_error"], "deletes": []}})");
  auto& a = h.d("a:1");
  h.d("b:1").reply = meta(Op::mg, "HD");
  a.reply = err(Result::timeout);
  CHECK(h.route(meta_req(Op::mg, "k")).result == Result::found);     // gets: timeout listed
  CHECK(h.route(meta_req(Op::me, "k")).result == Result::found);     // me is a get too
  CHECK(h.route(meta_req(Op::ms, "k")).result == Result::timeout);   // updates: timeout not listed
  CHECK(h.route(meta_req(Op::md, "k")).result == Result::timeout);   // deletes: nothing fails over
  CHECK(h.route(meta_req(Op::ma, "k")).result == Result::found);     // arithmetic: the default set
  a.reply = err(Result::connect_error);
  CHECK(h.route(meta_req(Op::ms, "k")).result == Result::found);     // updates: connect_error listed
  CHECK(h.route(meta_req(Op::mg, "k")).result == Result::connect_error);
}

TEST_CASE("meta: WarmUpRoute with meta gets", "[routes][meta]") {
  Harness h(R"({"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "exptime": 300})");
  auto& cold = h.d("a:1");
  auto& warm = h.d("b:1");
  SECTION("a cold hit is the answer") {
    cold.reply = meta(Op::mg, "VA 1 kk", "c");
    CHECK(client_sees(Op::mg, h.route(meta_req(Op::mg, "k", "v k"))) == "VA 1 kk\r\nc\r\n");
    CHECK(warm.seen.empty());
  }
  SECTION("a cold miss fills cold from warm, then the client's mg is asked of cold again") {
    cold.reply = meta(Op::mg, "EN kk");
    Reply warm_hit(Result::found, "w");
    warm_hit.flags = 7;
    warm.reply = warm_hit;
    h.route(meta_req(Op::mg, "k", "v k Ox"));
    CHECK(warm.seen == std::vector<std::string>{"get k"});
    CHECK(cold.seen == std::vector<std::string>{"mg k", "add k", "mg k"});
    REQUIRE(cold.requests.size() == 3);
    CHECK(cold.requests[1]->value == "w");
    CHECK(cold.requests[1]->flags == 7);
    CHECK(cold.requests[1]->exptime == 300);
    CHECK(cold.requests[2]->args == "v k Ox");  // the client's own flags
  }
  SECTION("a binary key reads warm and adds nothing (a plain get cannot carry it)") {
    cold.reply = meta(Op::mg, "EN");
    warm.reply = meta(Op::mg, "VA 1 b", "w");
    auto req = meta_req(Op::mg, "k", "b v");
    req->base64_key = true;
    CHECK(client_sees(Op::mg, h.route(req)) == "VA 1 b\r\nw\r\n");
    CHECK(warm.seen == std::vector<std::string>{"mg k"});
    CHECK(cold.seen == std::vector<std::string>{"mg k"});
  }
  SECTION("a miss in both: warm's miss (hidden in quiet mode)") {
    cold.reply = meta(Op::mg, "EN");
    warm.reply = meta(Op::mg, "EN");
    CHECK(client_sees(Op::mg, h.route(meta_req(Op::mg, "k", "v")), /*quiet=*/true).empty());
  }
  SECTION("me reads warm on a cold miss too") {
    cold.reply = meta(Op::me, "EN");
    warm.reply = meta(Op::me, "ME k exp=-1 la=1 cas=2 fetch=no cls=1 size=63");
    CHECK(client_sees(Op::me, h.route(meta_req(Op::me, "k"))) == "ME k exp=-1 la=1 cas=2 fetch=no cls=1 size=63\r\n");
  }
  SECTION("ms, md, ma go to cold only") {
    cold.reply = meta(Op::ms, "HD");
    for (Op op : {Op::ms, Op::md, Op::ma}) h.route(meta_req(op, "k"));
    CHECK(cold.seen == std::vector<std::string>{"ms k", "md k", "ma k"});
    CHECK(warm.seen.empty());
  }
}

TEST_CASE("meta: ModifyExptimeRoute and FailoverWithExptimeRoute rewrite meta TTL flags", "[routes][meta]") {
  auto sent_flags = [](Harness& h, const std::string& dest) { return h.d(dest).requests.back()->args; };
  SECTION("action set: ms gets T even without one; mg/ma T and N are rewritten; md untouched") {
    Harness h(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 600, "action": "set"})");
    h.route(meta_req(Op::ms, "k", "F5"));
    CHECK(sent_flags(h, "a:1") == "F5 T600");
    h.route(meta_req(Op::ms, "k", "T0 c"));
    CHECK(sent_flags(h, "a:1") == "T600 c");
    h.route(meta_req(Op::mg, "k", "v T30 N10"));
    CHECK(sent_flags(h, "a:1") == "v T600 N600");
    h.route(meta_req(Op::mg, "k", "v"));
    CHECK(sent_flags(h, "a:1") == "v");
    h.route(meta_req(Op::ma, "k", "N5 J1"));
    CHECK(sent_flags(h, "a:1") == "N600 J1");
    h.route(meta_req(Op::md, "k", "T5"));
    CHECK(sent_flags(h, "a:1") == "T5");
  }
  SECTION("action min: only longer (or never-expiring) TTLs come down") {
    Harness h(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 100, "action": "min"})");
    auto req = meta_req(Op::ms, "k", "T50 b");
    h.route(req);
    CHECK(h.d("a:1").requests.back().get() == req.get());  // unchanged: no copy
    h.route(meta_req(Op::ms, "k", "T5000"));
    CHECK(sent_flags(h, "a:1") == "T100");
    h.route(meta_req(Op::ms, "k", ""));
    CHECK(sent_flags(h, "a:1") == "T100");
    h.route(meta_req(Op::ms, "k", "Tx"));  // not a number: left for memcached to refuse
    CHECK(sent_flags(h, "a:1") == "Tx");
  }
  SECTION("FailoverWithExptimeRoute caps a meta write that fails over") {
    Harness h(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B",
                  "failover_exptime": 30})");
    h.d("a:1").reply = err(Result::connect_error);
    h.d("b:1").reply = meta(Op::ms, "HD");
    CHECK(client_sees(Op::ms, h.route(meta_req(Op::ms, "k", "T5000"))) == "HD\r\n");
    CHECK(sent_flags(h, "a:1") == "T5000");
    CHECK(sent_flags(h, "b:1") == "T30");
  }
}
