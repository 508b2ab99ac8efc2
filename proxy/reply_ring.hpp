#pragma once
// ReplyRing: the replies of one client connection, in request order.
//
// Contract: owned by a client pipeline (proxy/client_pipeline.hpp) on its worker thread. Each request that
// takes a place in the order opens a slot (open()); its reply fills the slot whenever it is ready, in any
// order (finish()); slots leave the ring strictly in order, their bytes appended to output(). A slot marked
// close_after (quit, a fatal line) is the last: what follows it is dropped. No I/O: the driver writes output().
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/multiget.hpp"

namespace mcrelay {

struct ReplySlot {
  std::string out;            // the reply, while an older slot is still waiting
  bool ready = false;
  bool close_after = false;   // quit, or a line too long: nothing after this slot is answered
  bool counted = true;        // in the requests_processing gauge (a `stats` request is not while rendering it)
  MultiGetMerge multiget;     // multi-key gets only
  std::chrono::steady_clock::time_point start;  // for the latency histogram
};

class ReplyRing {
 public:
  struct Released {
    std::size_t answered = 0;   // counted slots that left the ring (their bytes are in output())
    bool close_after = false;   // one of them was a close_after slot (the ring is now empty)
    std::size_t dropped = 0;    // counted slots after it, dropped unanswered
  };

  // A new slot at the tail; its sequence number identifies it until it leaves.
  std::uint64_t open();
  ReplySlot& at(std::uint64_t seq) noexcept { return ring_[seq & (ring_.size() - 1)]; }
  std::size_t outstanding() const noexcept { return static_cast<std::size_t>(tail_ - head_); }
  // False once the slot left the ring (answered, or dropped after a close_after slot): a late reply for it
  // is ignored.
  bool live(std::uint64_t seq) const noexcept { return seq >= head_ && seq < tail_; }

  // Fills slot `seq` through write(std::string&) (straight into output() when it is the oldest) and moves
  // every ready slot at the head to output().
  template <typename Writer>
  Released finish(std::uint64_t seq, Writer&& write) {
    if (!live(seq)) return {};
    ReplySlot& s = at(seq);
    s.ready = true;
    if (seq == head_) {
      write(out_);
      s.out.clear();
    } else {
      write(s.out);
    }
    return release_ready();
  }

  // Forgets every slot (the connection closed); returns how many counted ones were outstanding.
  std::size_t drop_all() noexcept;

  std::string& output() noexcept { return out_; }
  const std::string& output() const noexcept { return out_; }

 private:
  Released release_ready();

  std::vector<ReplySlot> ring_;  // power-of-two size
  std::uint64_t head_ = 0;
  std::uint64_t tail_ = 0;
  std::string out_;              // replies ready to be written, in order
};

}  // namespace mcrelay
