// Rendezvous and WeightedRendezvous: the placement vectors of mcrouter's own unit tests
// (facebook/mcrouter mcrouter/lib/test/RendezvousHashTest.cpp and WeightedRendezvousHashTest.cpp, endpoints
// "xxx.<i>.yy" as in their genEndpoints()), and the routes that use them built from JSON.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "../route_test_util.hpp"
#include "routes/hash/rendezvous_hash.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

std::vector<std::string> endpoints(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("xxx." + std::to_string(i) + ".yy");
  return out;
}

std::string all_bytes_key() {  // bytes -128 .. 127, as mcrouter's test_max_key
  std::string k;
  for (int i = 0; i < 256; ++i) k.push_back(static_cast<char>(i - 128));
  return k;
}

template <typename Hash>
std::vector<std::size_t> counts(const Hash& h, std::size_t keys) {
  std::vector<std::size_t> c(h.size(), 0);
  for (std::size_t i = 0; i < keys; ++i) ++c[h.index("mykey:" + std::to_string(i))];
  return c;
}

WeightedRendezvousHash weighted(int n, std::vector<double> w) { return WeightedRendezvousHash(endpoints(n), std::move(w)); }

}  // namespace

TEST_CASE("Rendezvous: mcrouter's RendezvousHashTest vectors", "[routes][hash][rendezvous]") {
  RendezvousHash h3(endpoints(3));
  CHECK(h3.index("sample") == 1);
  CHECK(h3.index("") == 1);
  CHECK(h3.index("mykey") == 1);
  CHECK(h3.index(all_bytes_key()) == 1);

  RendezvousHash h343(endpoints(343));
  CHECK(h343.index(all_bytes_key()) == 183);
  CHECK(h343.index("sample") == 45);
  CHECK(h343.index("") == 291);
  CHECK(h343.index("mykey") == 132);

  CHECK(counts(h3, 1000) == std::vector<std::size_t>{337, 353, 310});
  CHECK(counts(RendezvousHash(endpoints(10)), 10000) ==
        std::vector<std::size_t>{947, 1026, 1028, 981, 1016, 970, 1013, 939, 1023, 1057});
}

TEST_CASE("Rendezvous: removing one server moves only its keys (mcrouter's rehash counts)",
          "[routes][hash][rendezvous]") {
  const auto eps = endpoints(499);
  RendezvousHash all(eps);
  auto moved = [&](std::size_t erase_at) {
    auto fewer = eps;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(erase_at));
    RendezvousHash h(fewer);
    int diff = 0;
    for (int i = 0; i < 10000; ++i) {
      std::string key = "mykey:" + std::to_string(i);
      if (eps[all.index(key)] != fewer[h.index(key)]) ++diff;
    }
    return diff;
  };
  CHECK(moved(0) == 14);
  CHECK(moved(498) == 24);
  CHECK(moved(249) == 15);
}

TEST_CASE("Rendezvous: order() starts with index() and lists every server once", "[routes][hash][rendezvous]") {
  RendezvousHash h(endpoints(7));
  WeightedRendezvousHash w = weighted(7, {1, 0.2, 0.5, 1, 0, 0.7, 0.3});
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(i);
    auto o = h.order(key);
    REQUIRE(o.size() == 7);
    CHECK(o[0] == h.index(key));
    auto wo = w.order(key);
    CHECK(wo[0] == w.index(key));
    std::sort(o.begin(), o.end());
    CHECK(o == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6});
  }
}

TEST_CASE("WeightedRendezvous: mcrouter's WeightedRendezvousHashTest vectors", "[routes][hash][rendezvous]") {
  auto w3 = weighted(3, {1, 1, 1});
  CHECK(w3.index("sample") == 0);
  CHECK(w3.index("") == 2);
  CHECK(w3.index("mykey") == 1);
  CHECK(w3.index(all_bytes_key()) == 1);

  auto w343 = weighted(343, std::vector<double>(343, 1));
  CHECK(w343.index(all_bytes_key()) == 142);
  CHECK(w343.index("sample") == 115);
  CHECK(w343.index("") == 279);
  CHECK(w343.index("mykey") == 302);

  CHECK(counts(w3, 10000) == std::vector<std::size_t>{3409, 3360, 3231});
  CHECK(counts(weighted(3, {1, 0.5, 0.1}), 10000) == std::vector<std::size_t>{6292, 3118, 590});
  CHECK(counts(weighted(3, {1, 0, 0.5}), 10000) == std::vector<std::size_t>{6737, 0, 3263});
  CHECK(counts(weighted(10, {1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5}), 10000) ==
        std::vector<std::size_t>{1381, 1299, 1283, 1359, 1296, 667, 669, 665, 672, 709});
}

TEST_CASE("WeightedRendezvous: mcrouter's rehash counts", "[routes][hash][rendezvous]") {
  const auto eps = endpoints(499);
  WeightedRendezvousHash all(eps, std::vector<double>(499, 1));
  auto moved = [&](std::size_t erase_at) {
    auto fewer = eps;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(erase_at));
    WeightedRendezvousHash h(fewer, std::vector<double>(fewer.size(), 1));
    int diff = 0;
    for (int i = 0; i < 10000; ++i) {
      std::string key = "mykey:" + std::to_string(i);
      if (eps[all.index(key)] != fewer[h.index(key)]) ++diff;
    }
    return diff;
  };
  CHECK(moved(0) == 19);
  CHECK(moved(498) == 17);
  CHECK(moved(249) == 21);
}

namespace {
// Three servers tagged like mcrouter's tests, so the config-built routes must agree with the vectors above.
std::string tagged_config(const std::string& route) {
  return R"({"pools": {"T": {"servers": ["a:1", "b:1", "c:1"], "tags": ["xxx.0.yy", "xxx.1.yy", "xxx.2.yy"]}},
             "route": )" + route + "}";
}
struct TaggedHarness {
  explicit TaggedHarness(const std::string& route) : cfg(config::parse_config(tagged_config(route), "t.json")) {
    RouteFactory f(cfg, dests);
    root = f.build(cfg.routes.at(0).route, cfg.routes.at(0).json_path);
  }
  std::string where(const std::string& key) {
    std::vector<std::string> out;
    root->collect_destinations(*make_req(Op::get, key), out);
    return out.size() == 1 ? out[0] : "?";
  }
  config::Config cfg;
  ScriptedProvider dests;
  RouteHandlePtr root;
};
std::string build_error_tagged(const std::string& route) {
  try {
    TaggedHarness h(route);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("Rendezvous hashes from JSON: PoolRoute with pool tags, HashRoute with its own",
          "[routes][hash][rendezvous]") {
  const std::vector<std::string> servers = {"a:1", "b:1", "c:1"};
  SECTION("PoolRoute, hash as a string, tags from the pool") {
    TaggedHarness h(R"({"type": "PoolRoute", "pool": "T", "hash": "Rendezvous"})");
    CHECK(h.where("sample") == servers[1]);
    CHECK(h.where("mykey") == servers[1]);
  }
  SECTION("PoolRoute, WeightedRendezvous with a weights object") {
    TaggedHarness h(R"({"type": "PoolRoute", "pool": "T", "hash": {"hash_func": "WeightedRendezvous",
                        "weights": {"xxx.0.yy": 1, "xxx.1.yy": 1, "xxx.2.yy": 1}}})");
    CHECK(h.where("sample") == servers[0]);
    CHECK(h.where("") == servers[2]);
    CHECK(h.where("mykey") == servers[1]);
  }
  SECTION("HashRoute with top-level tags, salt appended before hashing") {
    TaggedHarness h(R"({"type": "HashRoute", "children": "Pool|T", "hash_func": "Rendezvous",
                        "tags": ["xxx.0.yy", "xxx.1.yy", "xxx.2.yy"]})");
    CHECK(h.where("sample") == servers[1]);
    TaggedHarness salted(R"({"type": "HashRoute", "children": "Pool|T", "hash_func": "Rendezvous", "salt": "ple",
                             "tags": ["xxx.0.yy", "xxx.1.yy", "xxx.2.yy"]})");
    RendezvousHash ref(endpoints(3));
    CHECK(salted.where("sam") == servers[ref.index("sample")]);
  }
  SECTION("WeightedCh3Rv without runtime variables: WeightedCh3 with every weight 0.5") {
    TaggedHarness h(R"({"type": "PoolRoute", "pool": "T", "hash": {"hash_func": "WeightedCh3Rv",
                        "weights_rv": "my_weights"}})");
    WeightedCh3Hash ref(3, {0.5, 0.5, 0.5});
    for (std::string key : {"a", "b", "sample", "mykey", ""}) CHECK(h.where(key) == servers[ref.index(key)]);
  }
}

TEST_CASE("Rendezvous hashes from JSON: bad configs are refused clearly", "[routes][hash][rendezvous]") {
  CHECK_THAT(build_error_tagged(R"({"type": "HashRoute", "children": "Pool|T", "hash_func": "Rendezvous"})"),
             Catch::Contains("needs \"tags\""));
  CHECK_THAT(build_error_tagged(R"({"type": "HashRoute", "children": "Pool|T", "hash_func": "Rendezvous",
                                    "tags": ["x", "y"]})"),
             Catch::Contains("2 tags for 3"));
  CHECK_THAT(build_error_tagged(R"({"type": "HashRoute", "children": "Pool|T", "hash_func": "Rendezvous",
                                    "tags": ["x", "y", 3]})"),
             Catch::Contains("tags[2]"));
  CHECK_THAT(build_error_tagged(R"({"type": "PoolRoute", "pool": "T", "hash": {"hash_func": "WeightedRendezvous",
                                    "weights": [1, 1, 1]}})"),
             Catch::Contains("expected an object"));
  CHECK_THAT(build_error_tagged(R"({"type": "PoolRoute", "pool": "T", "hash": "WeightedCh3Rv"})"),
             Catch::Contains("weights_rv"));
}
