// fan_out (routes/fan_out.hpp), the one broadcast loop, with each merge policy over children that answer
// when the test says; and AllRoute's policy names.
#include <catch2/catch.hpp>

#include <deque>

#include "routes/all_route.hpp"
#include "routes/fan_out.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// A child that holds its callbacks and counts how it was asked.
class HeldChild final : public RouteHandle {
 public:
  std::string_view type() const noexcept override { return "Held"; }
  void route(const RequestPtr&, ReplyFn done) override {
    ++routed;
    held.push_back(std::move(done));
  }
  void broadcast(const RequestPtr&, ReplyFn done) override {
    ++broadcasts;
    held.push_back(std::move(done));
  }
  void collect_destinations(const Request&, std::vector<std::string>&) const override {}
  void answer(Reply r) {
    REQUIRE(!held.empty());
    ReplyFn d = std::move(held.front());
    held.pop_front();
    d(std::move(r));
  }
  int routed = 0;
  int broadcasts = 0;
  std::deque<ReplyFn> held;
};

struct Fan {
  explicit Fan(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto c = std::make_shared<HeldChild>();
      held.push_back(c);
      children.push_back(c);
    }
  }
  AnswerPtr run(FanOutMerge merge, Op op = Op::get, bool broadcast = false) {
    auto a = std::make_shared<Answer>();
    fan_out(children, make_req(op, "k"), capture(a), merge, broadcast);
    return a;
  }
  HeldChild& c(std::size_t i) { return *held[i]; }
  std::vector<std::shared_ptr<HeldChild>> held;
  std::vector<RouteHandlePtr> children;
};

}  // namespace

TEST_CASE("fan_out: worst waits for every child", "[routes][fan_out]") {
  Fan f(3);
  auto a = f.run(FanOutMerge::worst);
  f.c(2).answer(Reply(Result::found));
  f.c(0).answer(err(Result::timeout));
  CHECK(a->calls == 0);
  f.c(1).answer(Reply(Result::not_found));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::timeout);
}

TEST_CASE("fan_out: first answers with children[0], whenever it comes", "[routes][fan_out]") {
  Fan f(3);
  auto a = f.run(FanOutMerge::first);
  f.c(1).answer(Reply(Result::found));
  CHECK(a->calls == 0);
  f.c(0).answer(Reply(Result::not_found));
  CHECK(a->calls == 1);
  CHECK(a->reply.result == Result::not_found);
  f.c(2).answer(err(Result::timeout));  // dropped
  CHECK(a->calls == 1);
}

TEST_CASE("fan_out: async answers the default reply before any child", "[routes][fan_out]") {
  Fan f(2);
  auto get = f.run(FanOutMerge::async, Op::get);
  CHECK(get->calls == 1);
  CHECK(get->reply.result == Result::not_found);
  auto set = f.run(FanOutMerge::async, Op::set);
  CHECK(set->reply.result == Result::not_stored);
  CHECK(f.c(0).routed == 2);
  CHECK(f.c(1).routed == 2);
  f.c(0).answer(err(Result::timeout));  // nobody listens
  CHECK(get->calls == 1);
}

TEST_CASE("fan_out: majority and fastest answer early", "[routes][fan_out]") {
  Fan f(3);
  auto m = f.run(FanOutMerge::majority);
  f.c(0).answer(Reply(Result::found));
  f.c(1).answer(err(Result::timeout));
  CHECK(m->calls == 0);
  f.c(2).answer(Reply(Result::found));
  CHECK(m->calls == 1);
  CHECK(m->reply.result == Result::found);

  auto fast = f.run(FanOutMerge::fastest);
  f.c(0).answer(err(Result::connect_error));
  CHECK(fast->calls == 0);
  f.c(1).answer(Reply(Result::not_found));  // a miss is a good reply
  CHECK(fast->calls == 1);
  CHECK(fast->reply.result == Result::not_found);
}

TEST_CASE("fan_out: broadcast asks the children's broadcast(); no children is a local error",
          "[routes][fan_out]") {
  Fan f(2);
  auto a = f.run(FanOutMerge::worst, Op::flush_all, /*broadcast=*/true);
  CHECK(f.c(0).broadcasts == 1);
  CHECK(f.c(1).broadcasts == 1);
  CHECK(f.c(0).routed == 0);
  f.c(0).answer(Reply(Result::ok));
  f.c(1).answer(Reply(Result::ok));
  CHECK(a->reply.result == Result::ok);

  Fan none(0);
  auto e = none.run(FanOutMerge::worst);
  CHECK(e->calls == 1);
  CHECK(e->reply.result == Result::local_error);
}

TEST_CASE("AllRoute: one class, mcrouter's five type names", "[routes][fan_out]") {
  CHECK(AllRoute::type_name(FanOutMerge::worst) == "AllSyncRoute");
  CHECK(AllRoute::type_name(FanOutMerge::first) == "AllInitialRoute");
  CHECK(AllRoute::type_name(FanOutMerge::async) == "AllAsyncRoute");
  CHECK(AllRoute::type_name(FanOutMerge::majority) == "AllMajorityRoute");
  CHECK(AllRoute::type_name(FanOutMerge::fastest) == "AllFastestRoute");
  for (const char* type : {"AllSyncRoute", "AllInitialRoute", "AllAsyncRoute", "AllMajorityRoute", "AllFastestRoute"}) {
    CAPTURE(type);
    Harness h(std::string(R"({"type": ")") + type + R"(", "children": "Pool|ABC"})");
    CHECK(h.root->type() == type);
    CHECK(dynamic_cast<AllRoute*>(h.root.get()) != nullptr);
  }
}
