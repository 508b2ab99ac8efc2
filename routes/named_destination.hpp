#pragma once
// NamedDestination: a destination that only has a name. Trees built over them can be checked (the config
// validator builds every tree once before a worker sees it) and asked where a key goes (`--route-key`,
// the admin /route page) without opening a socket. A request sent to one fails at once with a local error
// saying why nothing was sent.
//
// Contract: any thread; a provider and its destinations belong to the one thread that builds and uses the
// trees over them. send() calls `done` before returning.
#include <map>
#include <memory>
#include <string>

#include "routes/destination.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

class NamedDestination final : public Destination {
 public:
  // `why`: the message of the local error every request gets ("validation only", "lookup only").
  NamedDestination(std::string name, std::string why) : name_(std::move(name)), why_(std::move(why)) {}
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr&, const SendOptions&, ReplyFn done) override {
    done(Reply::error(Result::local_error, why_));
  }

 private:
  std::string name_;
  std::string why_;
};

// One NamedDestination per server ("host:port" as written), whatever the pool's settings.
class NamedDestinationProvider final : public DestinationProvider {
 public:
  explicit NamedDestinationProvider(std::string why) : why_(std::move(why)) {}
  std::shared_ptr<Destination> destination(const config::ServerAddress& server, const config::PoolConfig&) override {
    auto& d = dests_[server.text];
    if (!d) d = std::make_shared<NamedDestination>(server.text, why_);
    return d;
  }

 private:
  std::string why_;
  std::map<std::string, std::shared_ptr<NamedDestination>, std::less<>> dests_;
};

}  // namespace mcrelay
