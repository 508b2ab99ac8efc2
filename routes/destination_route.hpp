#pragma once
// DestinationRoute: the leaf of every tree; hands the request to one Destination (a memcached server).
// Built by PoolRoute and by "Pool|NAME" children lists; worker thread only.
#include <memory>

#include "routes/destination.hpp"

namespace mcrelay {

class DestinationRoute final : public RouteHandle {
 public:
  DestinationRoute(std::shared_ptr<Destination> dest, SendOptions opts) : dest_(std::move(dest)), opts_(opts) {}

  std::string_view type() const noexcept override { return "DestinationRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override { dest_->send(req, opts_, std::move(done)); }
  void collect_destinations(const Request&, std::vector<std::string>& out) const override {
    out.push_back(dest_->name());
  }

  Destination& destination() const noexcept { return *dest_; }

 private:
  std::shared_ptr<Destination> dest_;
  SendOptions opts_;
};

}  // namespace mcrelay
