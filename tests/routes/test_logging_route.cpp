// LoggingRoute: the target's reply, and one line per request in mcrouter's words.
#include <catch2/catch.hpp>

#include "route_test_util.hpp"
#include "routes/logging_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
struct RecordingLog final : RouteLog {
  void write(std::string_view line) noexcept override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};
}  // namespace

TEST_CASE("LoggingRoute logs each request after its reply", "[routes][logging_route]") {
  Harness h(R"("PoolRoute|A")");
  h.d("a:1").reply = hit("value");
  RecordingLog log;
  LoggingRoute route(h.root, &log);
  auto a = std::make_shared<Answer>();
  route.route(make_req(Op::get, "/r/c/k"), capture(a));
  REQUIRE(a->calls == 1);
  CHECK(a->reply.value == "value");
  h.d("a:1").reply = Reply(Result::not_found);
  route.route(make_req(Op::get, "miss"), capture(a));
  CHECK(log.lines == std::vector<std::string>{
                         "request key: /r/c/k response: mc_res_found responseLength: 5 ip: N/A",
                         "request key: miss response: mc_res_notfound responseLength: 0 ip: N/A"});
}

TEST_CASE("LoggingRoute: config", "[routes][logging_route]") {
  Harness h(R"({"type": "LoggingRoute", "target": "PoolRoute|A"})");
  CHECK(h.root->type() == "LoggingRoute");
  h.route(Op::set, "k");  // no RouteLog in the test provider: routed, nothing written
  CHECK(h.sent_to("a:1") == 1);
  Harness none(R"("LoggingRoute")");
  CHECK(none.route(Op::get, "k").result == Result::not_found);  // no target: NullRoute
  CHECK(Harness(R"({"type": "LoggingRoute", "child": "PoolRoute|A"})").warnings.at(0).find(
            "unknown key \"child\" in LoggingRoute ignored") != std::string::npos);
}
