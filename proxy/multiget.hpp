#pragma once
// MultiGetMerge: one multi-key get (get/gets/gat/gats/lease-get/metaget with several keys) split into one
// request per key and merged back into one reply, in the client's key order, under one END.
//
// Contract: owned by a reply slot of one client pipeline (proxy/client_pipeline.hpp), on its worker thread.
// The pipeline calls start() before routing any key (a route may answer synchronously), add() once per key
// in any order, and render() once add() reported the last one. Reused slot after slot: its vectors keep
// their capacity.
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/reply.hpp"
#include "protocol/request.hpp"

namespace mcrelay {

class MultiGetMerge {
 public:
  void start(Op op, std::size_t keys);
  void set_request(std::size_t index, RequestPtr req) { reqs_[index] = std::move(req); }
  const RequestPtr& request(std::size_t index) const noexcept { return reqs_[index]; }
  Op op() const noexcept { return op_; }
  // A key the proxy refused itself (key too long, unknown routing prefix): the first one's error ends the
  // reply in place of END, as in mcrouter. Call before add() for that key.
  void refused_locally(std::size_t index) noexcept {
    if (local_error_ == kNone) local_error_ = static_cast<std::uint32_t>(index);
  }
  // Records key `index`'s reply; returns true when it was the last one awaited.
  bool add(std::size_t index, Reply&& reply);
  // The merged reply: the hits in key order, then END (or the refused key's error). Keys whose server failed
  // read as misses unless every key failed: then the client gets the error, as for a single-key get
  // (docs/protocol.md). Releases the requests and replies.
  void render(std::string& out);

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  Op op_ = Op::get;
  std::uint32_t waiting_ = 0;
  std::uint32_t local_error_ = kNone;
  std::vector<RequestPtr> reqs_;
  std::vector<Reply> replies_;
};

}  // namespace mcrelay
