#include "proxy/reply_ring.hpp"

namespace mcrelay {

std::uint64_t ReplyRing::open() {
  if (ring_.empty()) ring_.resize(4);
  if (outstanding() == ring_.size()) {
    // Grow, keeping each live slot at seq & (size - 1).
    std::vector<ReplySlot> bigger(ring_.size() * 2);
    for (std::uint64_t s = head_; s < tail_; ++s) bigger[s & (bigger.size() - 1)] = std::move(at(s));
    ring_.swap(bigger);
  }
  std::uint64_t seq = tail_++;
  ReplySlot& s = at(seq);
  s.ready = false;
  s.close_after = false;
  s.counted = true;
  s.out.clear();
  return seq;
}

ReplyRing::Released ReplyRing::release_ready() {
  Released r;
  while (head_ < tail_ && at(head_).ready) {
    ReplySlot& s = at(head_);
    if (!s.out.empty()) {
      out_.append(s.out);
      s.out.clear();
      if (s.out.capacity() > 64 * 1024) s.out.shrink_to_fit();
    }
    s.ready = false;
    ++head_;
    if (s.counted) ++r.answered;
    if (s.close_after) {
      r.close_after = true;
      r.dropped = drop_all();
      break;
    }
  }
  return r;
}

std::size_t ReplyRing::drop_all() noexcept {
  std::size_t n = 0;
  for (std::uint64_t s = head_; s < tail_; ++s) {
    if (at(s).counted) ++n;
    at(s).ready = false;
    at(s).out.clear();
  }
  head_ = tail_;
  return n;
}

}  // namespace mcrelay

