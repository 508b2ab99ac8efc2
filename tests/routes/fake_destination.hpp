#pragma once
// Test doubles for route handles: destinations that record what they were sent and answer with a scripted
// reply, synchronously or when the test releases them. No sockets.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "routes/route_factory.hpp"

namespace mcrelay::test {

class FakeDestination final : public Destination {
 public:
  explicit FakeDestination(std::string name) : name_(std::move(name)) {}
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) override {
    seen.push_back(std::string(op_name(req->op)) + " " + std::string(req->upstream_key(opts.keep_routing_prefix)));
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    done(Reply(reply));
  }
  void release_all(const Reply& r) {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(Reply(r));
  }

  Reply reply{Result::stored};
  bool hold = false;
  std::vector<std::string> seen;
  std::deque<ReplyFn> held;

 private:
  std::string name_;
};

class FakeProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& server, const config::PoolConfig&) override {
    auto& d = dests[server.text];
    if (!d) d = std::make_shared<FakeDestination>(server.text);
    return d;
  }
  FakeDestination& at(const std::string& name) { return *dests.at(name); }
  std::map<std::string, std::shared_ptr<FakeDestination>> dests;
};

inline RequestPtr make_request(Op op, std::string key) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = std::move(key);
  r->prefix_len = static_cast<std::uint16_t>(routing_prefix_length(r->key));
  return r;
}

}  // namespace mcrelay::test
