#include "proxy/stats_collector.hpp"

#include <memory>

#include <boost/asio/post.hpp>

namespace mcrelay {

namespace {

// Lives until the last answer; touched only on `home` (the answers are posted there).
struct Collection {
  std::vector<StatsTotals> parts;
  std::vector<bool> answered;
  std::size_t remaining = 0;
  UniqueFunction<void(std::vector<StatsTotals>)> done;
};

}  // namespace

void collect_snapshots(const std::vector<SnapshotSource*>& sources, boost::asio::io_context& home,
                       UniqueFunction<void(std::vector<StatsTotals>)> done) {
  auto c = std::make_shared<Collection>();
  c->parts.resize(sources.size());
  c->answered.assign(sources.size(), false);
  c->remaining = sources.size();
  c->done = std::move(done);
  if (sources.empty()) {
    boost::asio::post(home, [c] {
      auto finish = std::move(c->done);
      finish({});
    });
    return;
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    sources[i]->request_snapshot([c, i, &home](const StatsTotals& snapshot) {
      boost::asio::post(home, [c, i, snapshot]() mutable {
        if (c->answered[i]) return;
        c->answered[i] = true;
        c->parts[i] = std::move(snapshot);
        if (--c->remaining > 0) return;
        // Moved out so that what `done` holds (a client session's reference) is released here, on `home`,
        // even when the last reference to the collection goes on another thread.
        auto finish = std::move(c->done);
        finish(std::move(c->parts));
      });
    });
  }
}

}  // namespace mcrelay
