#include "proxy/stats_rates.hpp"

namespace mcrelay {

std::vector<double> StatsRates::rates(const std::vector<std::uint64_t>& counts, Clock::time_point now) {
  std::lock_guard lock(mu_);
  // Drop samples that left the window, but keep the newest of them while nothing newer is old enough to be
  // a baseline: a rate over 239 s is better than none.
  while (samples_.size() > 1 && now - samples_[1].at >= kWindow) samples_.pop_front();
  if (!samples_.empty() && samples_.front().counts.size() != counts.size()) samples_.clear();
  Clock::time_point base_at = start_;
  const std::vector<std::uint64_t>* base = nullptr;
  if (!samples_.empty() && samples_.front().at < now) {
    base_at = samples_.front().at;
    base = &samples_.front().counts;
  }
  std::vector<double> out(counts.size(), 0.0);
  double seconds = std::chrono::duration<double>(now - base_at).count();
  if (seconds > 0.001) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::uint64_t from = base ? (*base)[i] : 0;
      out[i] = counts[i] >= from ? static_cast<double>(counts[i] - from) / seconds : 0.0;
    }
  }
  if (samples_.empty() || now - samples_.back().at >= std::chrono::seconds(1)) samples_.push_back({now, counts});
  return out;
}

}  // namespace mcrelay
