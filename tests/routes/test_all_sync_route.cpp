// AllSyncRoute built from JSON through the factory, over scripted destinations.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

TEST_CASE("AllSyncRoute: every child, the worst reply", "[routes][all_sync_route]") {
  Harness h(R"({"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  CHECK(h.root->type() == "AllSyncRoute");
  CHECK(h.route(Op::set, "k").result == Result::stored);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.d(n).seen == std::vector<std::string>{"set k"});
  h.d("b:1").reply = Reply(Result::not_stored);
  CHECK(h.route(Op::set, "k").result == Result::not_stored);
  h.d("c:1").reply = Reply::error(Result::remote_error, "oom");
  CHECK(h.route(Op::set, "k").value == "oom");
  // mcrouter's order: a server's SERVER_ERROR outranks a timeout, and a CLIENT_ERROR outranks both.
  h.d("a:1").reply = err(Result::timeout);
  CHECK(h.route(Op::set, "k").value == "oom");
  h.d("c:1").reply = Reply(Result::stored);
  CHECK(h.route(Op::set, "k").result == Result::timeout);
  h.d("b:1").reply = Reply::error(Result::client_error, "bad data chunk");
  CHECK(h.route(Op::set, "k").result == Result::client_error);
  // EXISTS ranks with success: a cas that one replica refused and another lacks answers NOT_FOUND.
  h.d("a:1").reply = Reply(Result::exists);
  h.d("b:1").reply = Reply(Result::not_found);
  h.d("c:1").reply = Reply(Result::stored);
  CHECK(h.route(Op::cas, "k").result == Result::not_found);
  CHECK(h.where(Op::set, "k") == std::vector<std::string>{"a:1", "b:1", "c:1"});
}

TEST_CASE("AllSyncRoute: waits for the last answer, whatever the order", "[routes][all_sync_route]") {
  Harness h(R"("AllSyncRoute|Pool|ABC")");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).hold = true;
  auto a = h.start(make_req(Op::delete_, "k"));
  h.d("c:1").release_one(Reply(Result::deleted));
  h.d("a:1").release_one(Reply(Result::not_found));
  CHECK(a->calls == 0);
  h.root.reset();  // a reload drops the tree meanwhile
  h.d("b:1").release_one(Reply(Result::deleted));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::not_found);
}

TEST_CASE("AllSyncRoute: broadcast and config errors", "[routes][all_sync_route]") {
  Harness h(R"("AllSyncRoute|Pool|ABC")");
  for (auto* n : {"a:1", "b:1", "c:1"}) h.d(n).reply = Reply(Result::ok);
  auto a = std::make_shared<Answer>();
  h.root->broadcast(make_req(Op::flush_all, ""), capture(a));
  CHECK(a->reply.result == Result::ok);
  for (auto* n : {"a:1", "b:1", "c:1"}) CHECK(h.sent_to(n) == 1);
  CHECK(build_error(R"("AllSyncRoute|Pool|Zebra")") == "test.json: route.children: unknown pool \"Zebra\"");
  // An unknown key that misspells nothing is ignored, as mcrouter ignores it, with a warning.
  Harness extra(R"({"type": "AllSyncRoute", "children": ["PoolRoute|A"], "timeout": 5})");
  CHECK(extra.warnings == std::vector<std::string>{
                              "test.json: route: unknown key \"timeout\" in AllSyncRoute ignored (known keys: children)"});
  CHECK(build_error(R"({"type": "AllSyncRoute", "chilren": ["PoolRoute|A"]})") ==
        "test.json: route: unknown key \"chilren\" in AllSyncRoute (did you mean \"children\"?)");
}
