// OriginalClientHashRoute: a client's requests all go to the child its IP address hashes to.
#include <catch2/catch.hpp>

#include <set>

#include "route_test_util.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {
const std::string kOch = R"({"type": "OriginalClientHashRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})";
const std::vector<std::string> kNames = {"a:1", "b:1", "c:1"};

RequestPtr from(const std::string& ip, const std::string& key) {
  auto r = make_req(Op::get, key);
  r->has_client_ip = true;
  r->client_ip_hash = client_ip_hash(ip);
  return r;
}
}  // namespace

TEST_CASE("OriginalClientHashRoute: one child per client address, whatever the key", "[routes][original_client_hash_route]") {
  Harness h(kOch);
  CHECK(h.root->type() == "OriginalClientHashRoute");
  std::set<std::string> used;
  for (int c = 0; c < 12; ++c) {
    const std::string ip = "10.0.0." + std::to_string(c);
    const std::string want = kNames[client_ip_hash(ip) % 3];
    for (int k = 0; k < 5; ++k) {
      const auto before = h.sent_to(want);
      h.route(from(ip, "key" + std::to_string(k)));
      CHECK(h.sent_to(want) == before + 1);
    }
    used.insert(want);
  }
  CHECK(used.size() > 1);
}

TEST_CASE("OriginalClientHashRoute: offset shifts the choice; no address is Missing IP", "[routes][original_client_hash_route]") {
  Harness h(R"({"type": "OriginalClientHashRoute", "offset": 1, "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})");
  const std::string want = kNames[(client_ip_hash("::1") + 1) % 3];
  h.route(from("::1", "k"));
  CHECK(h.sent_to(want) == 1);
  Reply r = h.route(Op::get, "k");
  CHECK(r.result == Result::local_error);
  CHECK(r.value == "Missing IP");
}

TEST_CASE("OriginalClientHashRoute: config", "[routes][original_client_hash_route]") {
  CHECK(Harness(R"({"type": "OriginalClientHashRoute", "children": ["PoolRoute|A"]})").root->type() == "PoolRoute");
  CHECK_THAT(build_error(R"({"type": "OriginalClientHashRoute", "children": []})"),
             Catch::Contains("needs at least one child"));
  CHECK_THAT(build_error(R"({"type": "OriginalClientHashRoute", "children": "Pool|ABC"})"),
             Catch::Contains("\"children\" must be a list"));
  CHECK_THAT(build_error(R"({"type": "OriginalClientHashRoute", "offset": 3, "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]})"),
             Catch::Contains("route.offset: 3 is out of range [0, 2]"));
}
