// DeterministicOrderPolicy's enable_failure_domains over a pool with "failure_domains": after a TKO, the
// failover skips the children whose server is in a domain that answered TKO (mcrouter's FailoverRoute).
#include <algorithm>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// Every server answers TKO and logs its name, in order, to one shared log.
class TkoDestination final : public Destination {
 public:
  TkoDestination(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr&, const SendOptions&, ReplyFn done) override {
    log_.push_back(name_);
    done(Reply::error(Result::tko, "down"));
  }

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

class TkoProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& s, const config::PoolConfig&) override {
    auto& d = dests[s.text];
    if (!d) d = std::make_shared<TkoDestination>(s.text, log);
    return d;
  }
  std::vector<std::string> log;
  std::map<std::string, std::shared_ptr<TkoDestination>> dests;
};

const std::map<std::string, int> kDomain = {{"s0:1", 1}, {"s1:1", 1}, {"s2:1", 2},
                                            {"s3:1", 2}, {"s4:1", 3}, {"s5:1", 3}};

// The servers tried for `key`, all answering TKO.
std::vector<std::string> tried(const std::string& key, bool domains) {
  auto cfg = config::parse_config(
      std::string(R"({"pools": {"P": {"servers": ["s0:1", "s1:1", "s2:1", "s3:1", "s4:1", "s5:1"],
                                        "failure_domains": [1, 1, "two", "two", 3, 3]}},
                      "route": {"type": "FailoverRoute", "children": ["PoolRoute|P", "Pool|P"],
                                "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 7,
                                                    "max_error_tries": 7, "enable_failure_domains": )") +
          (domains ? "true" : "false") + "}}}",
      "test.json");
  TkoProvider dests;
  RouteFactory f(cfg, dests);
  auto root = f.build(cfg.routes.at(0).route, "route");
  auto a = std::make_shared<Answer>();
  root->route(make_req(Op::get, key), capture(a));
  REQUIRE(a->calls == 1);
  CHECK(a->reply.result == Result::tko);
  return dests.log;
}

}  // namespace

TEST_CASE("DeterministicOrderPolicy: a TKO's failure domain is skipped by the next draws", "[routes][failover_policy]") {
  int reordered = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string key = "fd" + std::to_string(i);
    const auto plain = tried(key, false);
    const auto with_domains = tried(key, true);
    INFO(key);
    REQUIRE(plain.size() == 7);  // child 0's server, then 6 failovers (TKOs are not tries)
    REQUIRE(with_domains.size() == 7);
    // The same draws, filtered: take the first one left whose domain has not answered TKO yet (all failed:
    // the first one left, mcrouter's fail-safe).
    std::vector<std::string> expected = {plain[0]};
    std::set<int> failed = {kDomain.at(plain[0])};
    std::vector<std::string> left(plain.begin() + 1, plain.end());
    while (!left.empty()) {
      auto it = std::find_if(left.begin(), left.end(), [&](const std::string& s) { return !failed.count(kDomain.at(s)); });
      if (it == left.end()) it = left.begin();
      expected.push_back(*it);
      failed.insert(kDomain.at(*it));
      left.erase(it);
    }
    CHECK(with_domains == expected);
    // The first failover never shares child 0's domain.
    CHECK(kDomain.at(with_domains[1]) != kDomain.at(with_domains[0]));
    reordered += with_domains != plain;
  }
  CHECK(reordered > 10);
}

TEST_CASE("Pool failure_domains errors", "[routes][failover_policy]") {
  auto error = [](const std::string& domains) {
    try {
      auto cfg = config::parse_config(R"({"pools": {"P": {"servers": ["s0:1", "s1:1"], "failure_domains": )" +
                                          domains + R"(}}, "route": "PoolRoute|P"})",
                                      "test.json");
      TkoProvider dests;
      RouteFactory(cfg, dests).build(cfg.routes.at(0).route, "route");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("[1]"), Catch::Contains("pools.P.failure_domains: failure_domains expected to be of the same size "
                                           "as servers, expected 2, got 1"));
  CHECK_THAT(error("7"), Catch::Contains("failure_domains is not an array"));
  CHECK(error(R"([1, "rack-b"])") == "no error");
  CHECK(error(R"([null, 2.5])") == "no error");  // mcrouter: no domain for other types
}
