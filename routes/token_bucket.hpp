#pragma once
// TokenBucket: folly's TokenBucket as mcrouter's RateLimiter uses it. Tokens accrue at `rate` per second up
// to `burst`; consume() takes one if there is one. Like folly's (built with zeroTime = now), a new bucket is
// EMPTY: it fills from the moment it is made.
//
// Contract: pure arithmetic on the times it is given (seconds, any monotonic origin); not thread-safe: one
// bucket per route tree, used on that tree's worker thread.
namespace mcrelay {

class TokenBucket {
 public:
  TokenBucket(double rate, double burst, double now) : rate_(rate), burst_(burst), zero_time_(now) {}

  bool consume(double now) noexcept {
    double available = (now - zero_time_) * rate_;
    if (available > burst_) available = burst_;
    if (available < 1.0) return false;
    zero_time_ = now - (available - 1.0) / rate_;
    return true;
  }

  double rate() const noexcept { return rate_; }
  double burst() const noexcept { return burst_; }

 private:
  double rate_, burst_;
  double zero_time_;  // the time at which the bucket was empty (folly's zeroTime)
};

}  // namespace mcrelay
