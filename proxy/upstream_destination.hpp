#pragma once
// UpstreamDestination: a Destination (routes/destination.hpp) backed by a small fixed number of pipelined
// upstream connections to one memcached server, owned by one worker.
//
// Contract: created by the worker when a route tree first names the server; used only on that worker's
// thread. `done` always runs from the worker's completion queue, also when the server is down (TKO) and
// the request fails without being sent: never inside send(). With more than one connection (--connections-per-server), a request goes to the connection its
// key hashes to, so requests for one key stay in order (memcached serves connections on separate threads).
#include <vector>

#include "proxy/server_health.hpp"
#include "proxy/upstream_connection.hpp"
#include "routes/destination.hpp"

namespace mcrelay {

struct DestinationStats;

class UpstreamDestination final : public Destination {
 public:
  UpstreamDestination(UpstreamContext& worker, ServerHealth& health, UpstreamSettings settings, unsigned connections);
  // With --async-dir: a delete that fails for lack of a server is spooled and answered NOT_FOUND.
  void set_spool(class DeleteSpool* spool) noexcept { spool_ = spool; }

  const std::string& name() const noexcept override { return name_; }
  bool available() const noexcept override;
  void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) override;
  void close();
  // --reset-inactive-connection-interval: see UpstreamConnection::close_if_inactive. Returns how many closed.
  std::size_t close_inactive();
  ~UpstreamDestination() override;

 private:
  UpstreamContext& worker_;
  std::string name_;
  ServerHealth& health_;
  std::shared_ptr<DestinationStats> stats_;
  std::vector<Ref<UpstreamConnection>> conns_;
  class DeleteSpool* spool_ = nullptr;
};

}  // namespace mcrelay
