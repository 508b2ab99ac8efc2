// Measured properties of Ch3 (furc_hash), as hashing.md asks: balance over n servers and key movement when
// a server is appended (n -> n + 1, how a StatefulSet scales). Figures are printed with WARN so that they
// appear in every run; the whole file takes well under a second in an optimised build.
#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "routes/hash/furc_hash.hpp"

namespace {

constexpr std::uint32_t kKeys = 1000000;

// "key:<i>" in a reusable buffer.
class KeyGen {
 public:
  std::string_view operator()(std::uint32_t i) noexcept {
    auto [end, ec] = std::to_chars(buf_ + 4, buf_ + sizeof buf_, i);
    (void)ec;
    return std::string_view(buf_, static_cast<std::size_t>(end - buf_));
  }

 private:
  char buf_[16] = {'k', 'e', 'y', ':'};
};

}  // namespace

TEST_CASE("Ch3 balance: max/mean load over 1,000,000 keys", "[hash][properties]") {
  struct Case {
    std::uint32_t n;
    double limit;
  };
  for (const Case c : {Case{3, 1.05}, Case{10, 1.05}, Case{100, 1.15}}) {
    std::vector<std::uint32_t> load(c.n, 0);
    KeyGen key;
    for (std::uint32_t i = 0; i < kKeys; ++i) ++load[mcrelay::furc_hash(key(i), c.n)];
    const double mean = static_cast<double>(kKeys) / c.n;
    const auto [min_it, max_it] = std::minmax_element(load.begin(), load.end());
    const double max_over_mean = *max_it / mean;
    WARN("Ch3 n=" << c.n << ": mean " << mean << ", min " << *min_it << ", max " << *max_it
                  << ", max/mean " << max_over_mean);
    CHECK(max_over_mean < c.limit);
  }
}

TEST_CASE("Ch3 movement: n -> n + 1 moves about 1/(n+1) of the keys, all to the new server",
          "[hash][properties]") {
  for (const std::uint32_t n : {3U, 4U, 10U}) {
    std::uint32_t moved = 0;
    std::uint32_t moved_elsewhere = 0;
    KeyGen key;
    for (std::uint32_t i = 0; i < kKeys; ++i) {
      const std::string_view k = key(i);
      const std::uint32_t before = mcrelay::furc_hash(k, n);
      const std::uint32_t after = mcrelay::furc_hash(k, n + 1);
      if (before != after) {
        ++moved;
        if (after != n) ++moved_elsewhere;
      }
    }
    const double fraction = static_cast<double>(moved) / kKeys;
    const double ideal = 1.0 / (n + 1);
    WARN("Ch3 " << n << " -> " << n + 1 << ": moved fraction " << fraction << " (ideal " << ideal << ", ratio "
                << fraction / ideal << "), moved to an old server: " << moved_elsewhere);
    CHECK(std::abs(fraction - ideal) <= 0.2 * ideal);
    CHECK(moved_elsewhere == 0);
  }
}
