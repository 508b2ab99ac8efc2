#include "proxy/upstream_destination.hpp"

namespace mcrelay {

UpstreamDestination::UpstreamDestination(Worker& worker, std::string name, std::string host, std::uint16_t port,
                                         UpstreamSettings settings, unsigned connections)
    : name_(std::move(name)) {
  for (unsigned i = 0; i < std::max(1u, connections); ++i) {
    conns_.push_back(make_ref<UpstreamConnection>(worker, name_, host, port, settings));
  }
}

void UpstreamDestination::send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) {
  UpstreamConnection* best = conns_.front().get();
  for (std::size_t i = 1; i < conns_.size(); ++i) {
    if (conns_[i]->pending() < best->pending()) best = conns_[i].get();
  }
  best->send(req, opts, std::move(done));
}

UpstreamDestination::~UpstreamDestination() {
  // No tree routes here any more: let pending requests finish, then close.
  for (auto& c : conns_) c->retire();
}

void UpstreamDestination::close() {
  for (auto& c : conns_) c->close();
}

}  // namespace mcrelay
