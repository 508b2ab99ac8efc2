#pragma once
// Cross-worker stats: every worker is asked for a snapshot of its own counters, taken on its own thread
// (proxy/stats_snapshot.hpp), and the asker gets them all together on its own io_context. No thread reads
// another worker's live counters.
//
// Contract: collect_snapshots() may be called from any thread that runs `home` (a worker's loop, or the
// control thread). `done` runs on `home`, posted (never from inside the call), once every source has
// answered, with the snapshots in the order of `sources`; it is also destroyed there.
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/stats_snapshot.hpp"
#include "util/unique_function.hpp"

namespace mcrelay {

// What the collector asks: a Worker (proxy/worker.hpp); tests use fakes.
class SnapshotSource {
 public:
  // Calls `deliver` exactly once with this source's snapshot: on the source's own thread, or on the
  // calling thread when the source's loop has ended (its last snapshot) or the caller is the source's own
  // thread (a snapshot taken now). `deliver` must only copy the snapshot and post it on.
  virtual void request_snapshot(UniqueFunction<void(const StatsTotals&)> deliver) = 0;

 protected:
  ~SnapshotSource() = default;
};

void collect_snapshots(const std::vector<SnapshotSource*>& sources, boost::asio::io_context& home,
                       UniqueFunction<void(std::vector<StatsTotals>)> done);

}  // namespace mcrelay
