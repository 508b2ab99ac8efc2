#include "proxy/stats.hpp"

namespace mcrelay {

std::uint64_t HistogramSnapshot::quantile_us(double q) const {
  std::uint64_t total = count();
  if (total == 0) return 0;
  auto target = static_cast<std::uint64_t>(q * static_cast<double>(total) + 0.5);
  if (target == 0) target = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= target) {
      return i < LatencyHistogram::kBoundsUs.size() ? LatencyHistogram::kBoundsUs[i]
                                                    : LatencyHistogram::kBoundsUs.back() * 2;
    }
  }
  return LatencyHistogram::kBoundsUs.back() * 2;
}

}  // namespace mcrelay
