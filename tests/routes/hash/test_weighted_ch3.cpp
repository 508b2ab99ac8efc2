// WeightedCh3 (mcrouter's WeightedCh3HashFunc): every vector of /work/shared/reference/hashing.md, and the
// stack-buffer salting checked against a plain std::string re-statement of the rule.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "routes/hash/furc_hash.hpp"
#include "routes/hash/hash_function.hpp"
#include "util/spooky_hash.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"

using mcrelay::WeightedCh3Hash;

namespace {

// The rule as hashing.md states it, with std::string concatenation.
std::uint32_t weighted_ch3_reference(const std::string& key, const std::vector<double>& weights) {
  const auto n = static_cast<std::uint32_t>(weights.size());
  std::string k = key;
  std::uint32_t idx = 0;
  for (std::uint32_t attempt = 0; attempt < 32; ++attempt) {
    idx = mcrelay::furc_hash(k, n);
    const std::uint64_t p = mcrelay::spooky_hash_v2_32(k.data(), k.size(), 0xface2014U);
    if (p < static_cast<std::uint64_t>(weights[idx] * 4294967295.0)) return idx;
    std::string suffix;
    std::uint32_t s = attempt;
    do {
      suffix.push_back(static_cast<char>('0' + s % 10));
      s /= 10;
    } while (s > 0);
    k = key + suffix;
  }
  return idx;
}

}  // namespace

TEST_CASE("WeightedCh3 with 100 weights of 0.0 matches mcrouter", "[hash][weighted_ch3]") {
  const WeightedCh3Hash h(100, std::vector<double>(100, 0.0));
  CHECK(h.index("sample") == 59);
  CHECK(h.index("") == 45);
}

TEST_CASE("WeightedCh3 with weights {1, 1, 0.7} over keys \"0\"..\"999\" gives {341, 371, 288}",
          "[hash][weighted_ch3]") {
  std::string error;
  const auto h = mcrelay::make_hash_function("WeightedCh3", 3, {1.0, 1.0, 0.7}, {}, &error);
  REQUIRE(h);
  std::array<int, 3> counts{};
  for (int i = 0; i < 1000; ++i) ++counts.at(h->index(std::to_string(i)));
  CHECK(counts == std::array<int, 3>{341, 371, 288});
}

TEST_CASE("WeightedCh3 weights: missing are 0.5, extra ignored, all 1.0 is Ch3", "[hash][weighted_ch3]") {
  const WeightedCh3Hash missing(5, {});
  const WeightedCh3Hash halves(5, std::vector<double>(5, 0.5));
  const WeightedCh3Hash partial(5, {0.5, 0.5});
  const WeightedCh3Hash extra(5, {0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 1.0});
  const WeightedCh3Hash ones(5, std::vector<double>(5, 1.0));
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::uint32_t expected = halves.index(key);
    CHECK(missing.index(key) == expected);
    CHECK(partial.index(key) == expected);
    CHECK(extra.index(key) == expected);
    // Weight 1.0: threshold 4294967295, so only p == 0xffffffff could be rejected.
    CHECK(ones.index(key) == mcrelay::furc_hash(key, 5));
  }
}

TEST_CASE("WeightedCh3 matches the plain-string statement of the rule, short and long keys",
          "[hash][weighted_ch3]") {
  const std::vector<double> weights = {0.1, 0.9, 0.0, 0.5, 1.0, 0.3, 0.75};
  const WeightedCh3Hash h(static_cast<std::uint32_t>(weights.size()), weights);
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "user:" + std::to_string(i * 7919);
    REQUIRE(h.index(key) == weighted_ch3_reference(key, weights));
  }
  // Keys around and beyond the 512-byte stack buffer take the heap path.
  for (const std::size_t len : {0U, 1U, 250U, 501U, 502U, 503U, 511U, 512U, 600U, 4096U}) {
    for (int i = 0; i < 20; ++i) {
      std::string key(len, 'x');
      if (len > 0) key[len / 2] = static_cast<char>('a' + i);
      INFO("length " << len);
      REQUIRE(h.index(key) == weighted_ch3_reference(key, weights));
    }
  }
}

TEST_CASE("WeightedCh3: a zero-weight server gets only keys whose 32 tries all fail", "[hash][weighted_ch3]") {
  const WeightedCh3Hash h(4, {1.0, 1.0, 0.0, 1.0});
  for (int i = 0; i < 5000; ++i) CHECK(h.index("k" + std::to_string(i)) != 2);
}
