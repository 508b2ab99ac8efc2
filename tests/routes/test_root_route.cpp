// RootRoute (routes/root_route.hpp): prefix selection, the proxy's own answers in mcrouter's order, the admin
// keys through a fake handler, the flush_all broadcast to every tree, and the miss rules on the way back,
// over scripted destinations (no sockets).
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "routes/named_destination.hpp"
#include "routes/root_route.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// Two regions and a third alias for the first tree: "/a/x/" -> a:1, "/b/x/" and "/b/y/" -> b:1.
const char* kTwoRoutes = R"({"pools": {"A": {"servers": ["a:1"]}, "B": {"servers": ["b:1"]}},
    "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
               {"aliases": ["/b/x/", "/b/y/"], "route": "PoolRoute|B"}]})";

class FakeAdmin final : public AdminKeyHandler {
 public:
  bool answer(std::string_view key, Reply& out) override {
    asked.emplace_back(key);
    if (key == "__mcrouter__.pass") return false;  // the handler may let a key through to the routes
    out = Reply(Result::found, "admin:" + std::string(key.substr(kAdminKeyPrefix.size())));
    return true;
  }
  std::vector<std::string> asked;
};

struct Outcome {
  int calls = 0;
  Reply reply{Result::local_error, "not answered"};
  RootOutcome how;
};

RootReplyFn capture_root(Outcome& o) {
  return [&o](Reply&& r, RootOutcome how) {
    ++o.calls;
    o.reply = std::move(r);
    o.how = how;
  };
}

struct Root {
  explicit Root(RootSettings s = {}, const char* json = kTwoRoutes)
      : cfg(config::parse_config(json, "test.json",
                                 s.default_prefix.empty() ? config::kDefaultRoutePrefix : s.default_prefix)),
        admin(std::make_shared<FakeAdmin>()),
        root(cfg, dests, std::move(s), admin) {}
  ScriptedDestination& d(const std::string& name) { return *dests.dests.at(name); }
  Outcome send(Op op, std::string key, std::string_view connection_prefix = {}) {
    Outcome o;
    auto req = make_ref<Request>();
    req->op = op;
    req->key = std::move(key);
    if (is_storage(op)) req->value = "v";
    root.route(req, capture_root(o), connection_prefix);
    last_prefix_len = req->prefix_len;
    return o;
  }

  config::Config cfg;
  ScriptedProvider dests;
  std::shared_ptr<FakeAdmin> admin;
  RootRoute root;
  std::uint16_t last_prefix_len = 0;
};

RootSettings with_default(std::string prefix) {
  RootSettings s;
  s.default_prefix = std::move(prefix);
  return s;
}

}  // namespace

TEST_CASE("RootRoute: the routing prefix picks the tree and is stripped upstream", "[routes][root_route]") {
  Root r(with_default("/b/x/"));
  CHECK(r.root.trees().size() == 2);
  CHECK(r.send(Op::set, "/a/x/k").how.source == ReplySource::route);
  CHECK(r.last_prefix_len == 5);
  CHECK(r.d("a:1").seen == std::vector<std::string>{"set k"});
  r.send(Op::set, "/b/y/k");  // an alias of the second tree
  r.send(Op::set, "plain");   // no prefix: the default route (--route-prefix /b/x/)
  CHECK(r.last_prefix_len == 0);
  r.send(Op::set, "/a/x/");   // nothing but a prefix: the default route, the whole key
  CHECK(r.last_prefix_len == 0);
  CHECK(r.d("b:1").seen == std::vector<std::string>{"set k", "set plain", "set /a/x/"});
  // A connection accepted on a pool's own address routes unprefixed keys to that pool's tree.
  r.send(Op::set, "plain", "/a/x/");
  CHECK(r.d("a:1").seen.back() == "set plain");
  CHECK(r.root.destinations(Op::get, "/a/x/k") == std::vector<std::string>{"a:1"});
  CHECK(r.root.destinations(Op::get, "k") == std::vector<std::string>{"b:1"});
}

TEST_CASE("RootRoute: the default route is the first one unless --route-prefix names another",
          "[routes][root_route]") {
  Root r(with_default("/zz/zz/"));  // names no route: the first tree serves unprefixed keys
  r.send(Op::set, "k");
  CHECK(r.d("a:1").seen == std::vector<std::string>{"set k"});
  CHECK(&r.root.default_route() == r.root.trees().front().get());
}

TEST_CASE("RootRoute: the proxy's own answers, in mcrouter's order", "[routes][root_route]") {
  SECTION("a key over 250 bytes is a bad key, before anything else") {
    RootSettings s;
    s.allow_only_gets = true;
    Root r(s);
    for (Op op : {Op::get, Op::set}) {
      auto o = r.send(op, "/zz/y/" + std::string(250, 'k'));
      CHECK(o.calls == 1);
      CHECK(o.how.source == ReplySource::refused);
      CHECK(o.reply.result == Result::client_error);
      CHECK(o.reply.value == "bad key");
    }
    CHECK(r.send(Op::get, std::string(250, 'k')).how.source == ReplySource::route);
  }
  SECTION("--allow-only-gets: the default reply, unrouted, even for an unknown prefix") {
    RootSettings s;
    s.allow_only_gets = true;
    Root r(s);
    CHECK(r.send(Op::set, "/zz/y/k").reply.result == Result::not_stored);
    CHECK(r.send(Op::ms, "k").reply.result == Result::not_stored);
    CHECK(r.send(Op::delete_, "k").reply.result == Result::not_found);
    CHECK(r.send(Op::incr, "k").reply.result == Result::not_found);
    CHECK(r.send(Op::touch, "k").how.source == ReplySource::refused);
    for (Op op : {Op::get, Op::gets, Op::gat, Op::gats, Op::mg, Op::me, Op::lease_get, Op::metaget}) {
      CAPTURE(op_name(op));
      CHECK(is_get_like(op));
      CHECK(r.send(op, "k").how.source == ReplySource::route);
    }
    CHECK(r.d("a:1").seen.size() == 8);
  }
  SECTION("an unknown routing prefix: SERVER_ERROR local error, never a miss; or the default route") {
    Root r;
    auto o = r.send(Op::get, "/zz/y/k");
    CHECK(o.how.source == ReplySource::refused);
    CHECK(o.reply.result == Result::local_error);
    CHECK(o.reply.value.empty());
    // incr/decr answer NOT_FOUND for it, as for a server's error (mcrouter's arith rule)
    auto arith = r.send(Op::incr, "/zz/y/k");
    CHECK(arith.reply.result == Result::not_found);
    CHECK(arith.how.route_result == Result::local_error);
    CHECK((r.d("a:1").seen.empty() && r.d("b:1").seen.empty()));

    RootSettings s;
    s.send_invalid_route_to_default = true;
    Root d(s);
    CHECK(d.send(Op::get, "/zz/y/k").how.source == ReplySource::route);
    CHECK(d.last_prefix_len == 6);  // stripped, as mcrouter does
    CHECK(d.d("a:1").seen == std::vector<std::string>{"get k"});
  }
}

TEST_CASE("RootRoute: select_or_answer with the caller's settings", "[routes][root_route]") {
  Root r;
  RootSettings strict;
  strict.allow_only_gets = true;
  Request req;
  req.op = Op::set;
  req.key = "/b/x/k";
  Reply answer;
  CHECK(r.root.select_or_answer(req, answer) == r.root.tree("/b/x/").get());
  CHECK(req.prefix_len == 5);
  CHECK(r.root.select_or_answer(req, answer, strict, {}) == nullptr);
  CHECK(answer.result == Result::not_stored);
}

TEST_CASE("RootRoute: admin keys go to the handler, before any other rule", "[routes][root_route]") {
  RootSettings s;
  s.allow_only_gets = true;
  Root r(s);
  auto o = r.send(Op::get, "__mcrouter__.version");
  CHECK(o.how.source == ReplySource::admin);
  CHECK(o.reply.result == Result::found);
  CHECK(o.reply.value == "admin:version");
  // A long admin key is still the handler's (mcrouter's ServiceInfo sees it first).
  std::string long_key = "__mcrouter__.route(get," + std::string(300, 'k') + ")";
  CHECK(r.send(Op::gets, long_key).how.source == ReplySource::admin);
  // Only the classic retrievals ask the handler; other commands route the key as any other.
  CHECK(r.send(Op::mg, "__mcrouter__.version").how.source == ReplySource::route);
  CHECK(r.send(Op::set, "__mcrouter__.version").how.source == ReplySource::refused);  // --allow-only-gets
  CHECK(r.admin->asked.size() == 2);
  // The handler may decline: the key is routed.
  CHECK(r.send(Op::get, "__mcrouter__.pass").how.source == ReplySource::route);
  CHECK(r.d("a:1").seen == std::vector<std::string>{"mg __mcrouter__.version", "get __mcrouter__.pass"});

  // Without a handler (the validator, --route-key), admin keys are plain keys.
  config::Config cfg = config::parse_config(kTwoRoutes, "test.json");
  ScriptedProvider dests;
  RootRoute bare(cfg, dests, RootSettings{});
  Outcome plain;
  bare.route(make_req(Op::get, "__mcrouter__.version"), capture_root(plain));
  CHECK(plain.how.source == ReplySource::route);
}

TEST_CASE("RootRoute: flush_all is refused without --enable-flush-cmd, else reaches every tree",
          "[routes][root_route]") {
  SECTION("refused") {
    Root r;
    auto o = r.send(Op::flush_all, "");
    CHECK(o.how.source == ReplySource::refused);
    CHECK(o.reply.result == Result::local_error);
    CHECK(o.reply.value == "Command disabled");
    CHECK((r.d("a:1").seen.empty() && r.d("b:1").seen.empty()));
  }
  SECTION("every server of every tree, the worst reply") {
    RootSettings s;
    s.enable_flush_cmd = true;
    Root r(s, R"({"pools": {"A": {"servers": ["a:1", "a:2"]}, "B": {"servers": ["b:1"]}},
                 "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                            {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]})");
    r.d("b:1").hold = true;
    auto req = make_req(Op::flush_all, "");
    Outcome o;
    r.root.route(req, capture_root(o));
    CHECK(o.calls == 0);  // waits for every server
    CHECK(r.d("a:1").seen == std::vector<std::string>{"flush_all "});
    CHECK(r.d("a:2").seen == std::vector<std::string>{"flush_all "});
    r.d("b:1").release_all(err(Result::timeout));
    CHECK(o.calls == 1);
    CHECK(o.how.source == ReplySource::route);
    CHECK(o.reply.result == Result::timeout);
    // On a pool's own listener only that pool's tree is flushed.
    Outcome one;
    r.root.route(make_req(Op::flush_all, ""), capture_root(one), "/a/x/");
    CHECK(one.calls == 1);
    CHECK(one.reply.result == Result::stored);  // the scripted servers' default answer
    CHECK(r.d("b:1").seen.size() == 1);
    CHECK(r.d("a:1").seen.size() == 2);
  }
}

TEST_CASE("RootRoute: a failed get is a miss, a failed incr NOT_FOUND, unless disabled", "[routes][root_route]") {
  auto run = [](RootSettings s, Op op) {
    Root r(std::move(s));
    r.send(Op::set, "k");  // creates the destination
    r.d("a:1").reply = err(Result::timeout);
    return r.send(op, "k");
  };
  for (Op op : {Op::get, Op::gets, Op::gat, Op::gats, Op::lease_get, Op::metaget}) {
    CAPTURE(op_name(op));
    auto o = run({}, op);
    CHECK(o.reply.result == Result::not_found);
    CHECK(o.how.route_result == Result::timeout);  // what the session counts in its stats
  }
  CHECK(run({}, Op::mg).reply.result == Result::timeout);  // meta replies carry their error
  CHECK(run({}, Op::set).reply.result == Result::timeout);
  CHECK(run({}, Op::incr).reply.result == Result::not_found);
  CHECK(run({}, Op::decr).reply.result == Result::not_found);
  CHECK(run({}, Op::ma).reply.result == Result::timeout);
  RootSettings off;
  off.miss_on_get_errors = false;
  off.miss_on_arith_errors = false;
  CHECK(run(off, Op::get).reply.result == Result::timeout);
  CHECK(run(off, Op::incr).reply.result == Result::timeout);
}

TEST_CASE("RootRoute: a reply after the root is gone still reaches the caller", "[routes][root_route]") {
  Outcome o;
  ScriptedProvider dests;
  {
    config::Config cfg = config::parse_config(kTwoRoutes, "test.json");
    RootRoute root(cfg, dests, RootSettings{});
    dests.dests.at("a:1")->hold = true;
    root.route(make_req(Op::get, "k"), capture_root(o));
  }  // a reload replaced the root; the tree lives on in the pending request
  CHECK(o.calls == 0);
  dests.dests.at("a:1")->release_all(err(Result::connect_error));
  CHECK(o.calls == 1);
  CHECK(o.reply.result == Result::not_found);
}

TEST_CASE("RootRoute: a config without routes does not build", "[routes][root_route]") {
  NamedDestinationProvider names("validation only");
  config::Config cfg = config::parse_config(kTwoRoutes, "test.json");
  cfg.routes.clear();
  CHECK_THROWS_AS(RootRoute(cfg, names, RootSettings{}), config::ConfigError);
}

TEST_CASE("NamedDestination: a name, and a local error for anything sent", "[routes][root_route]") {
  NamedDestinationProvider names("lookup only");
  config::Config cfg = config::parse_config(kTwoRoutes, "test.json");
  RootRoute root(cfg, names, RootSettings{});
  CHECK(root.destinations(Op::set, "/b/x/k") == std::vector<std::string>{"b:1"});
  Outcome o;
  root.route(make_req(Op::get, "/b/x/k"), capture_root(o));
  CHECK(o.how.route_result == Result::local_error);
  Reply r;
  config::ServerAddress b1;
  b1.text = "b:1";
  names.destination(b1, cfg.pools.begin()->second)->send(make_req(Op::set, "k"), {}, [&r](Reply&& x) {
    r = std::move(x);
  });
  CHECK(r.result == Result::local_error);
  CHECK(r.value == "lookup only");
}

namespace {

struct RecordingSink final : RootReplySink {
  void on_root_reply(std::uint64_t tag, Reply&& reply, RootOutcome how) override {
    got.push_back({tag, reply.result, how.source});
  }
  struct Got {
    std::uint64_t tag;
    Result result;
    ReplySource source;
  };
  std::vector<Got> got;
};

}  // namespace

TEST_CASE("RootRoute: a sink gets each reply with its request's tag", "[routes][root_route]") {
  RootSettings s;
  s.enable_flush_cmd = true;
  Root r(s);
  auto sink = make_ref<RecordingSink>();
  r.d("a:1").hold = true;
  r.root.route(make_req(Op::get, "k"), sink, 7);                     // held by the server
  r.root.route(make_req(Op::get, "__mcrouter__.version"), sink, 8);  // admin: at once
  r.root.route(make_req(Op::get, "/zz/y/k"), sink, 9);               // refused: at once
  r.root.broadcast(make_req(Op::flush_all, ""), sink, 10, "/b/x/");  // b:1 answers at once
  REQUIRE(sink->got.size() == 3);
  CHECK(sink->got[0].tag == 8);
  CHECK(sink->got[0].source == ReplySource::admin);
  CHECK(sink->got[1].tag == 9);
  CHECK(sink->got[1].source == ReplySource::refused);
  CHECK(sink->got[2].tag == 10);
  CHECK(sink->got[2].source == ReplySource::route);
  r.d("a:1").release_all(err(Result::timeout));
  REQUIRE(sink->got.size() == 4);
  CHECK(sink->got[3].tag == 7);
  CHECK(sink->got[3].result == Result::not_found);  // miss_on_get_errors, through the sink too
  CHECK(sink->use_count() == 1);                      // the tree let go of it
}
