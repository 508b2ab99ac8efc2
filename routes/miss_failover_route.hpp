#pragma once
// MissFailoverRoute {children, return_best_on_error}: try children in order until one has the data.
//
// Contract: built by RouteFactory at config load (build() throws ConfigError); route()/broadcast() run on
// the owning worker thread, never throw, and call `done` exactly once. Pending attempts hold a shared_ptr
// to this handle, so dropping the tree while replies are outstanding is safe.
//
// Semantics (mcrouter's current MissFailoverRoute): for get-like requests (get, gets, gat, gats, mg, me)
// and deletes (delete, md) the request goes to each child in order until a "hit" (found / deleted /
// touched); misses AND errors move on to the next child. If no child hits, the last child's reply is
// returned, or with "return_best_on_error": true the best reply seen (a miss from a healthy child rather
// than an error from a broken last one; ties go to the later reply). Every other operation (updates,
// arithmetic, touch, ...) goes to the first child only, exactly like mcrouter (it does not fail those over;
// use FailoverRoute for that). Broadcasts (flush_all) go to every child, worst reply wins. An empty
// children list builds a NullRoute.
#include <memory>

#include <nlohmann/json.hpp>

#include "util/ref_counted.hpp"
#include "routes/route_handle.hpp"

namespace mcrelay {

class RouteFactory;

class MissFailoverRoute final : public RouteHandle, public std::enable_shared_from_this<MissFailoverRoute> {
 public:
  MissFailoverRoute(std::vector<RouteHandlePtr> children, bool return_best_on_error)
      : children_(std::move(children)), return_best_on_error_(return_best_on_error) {}

  static RouteHandlePtr build(RouteFactory& f, const nlohmann::json& j, const std::string& path);

  std::string_view type() const noexcept override { return "MissFailoverRoute"; }
  void route(const RequestPtr& req, ReplyFn done) override;
  void broadcast(const RequestPtr& req, ReplyFn done) override;
  void collect_destinations(const Request& req, std::vector<std::string>& out) const override;

 private:
  struct Attempt : RefCounted {
    RequestPtr req;
    ReplyFn done;
    std::size_t index = 0;
    bool have_best = false;
    Reply best;
  };

  static bool fails_over(Op op) noexcept;
  void send(const Ref<Attempt>& a);
  void on_reply(const Ref<Attempt>& a, Reply&& r);

  std::vector<RouteHandlePtr> children_;
  bool return_best_on_error_;
};

}  // namespace mcrelay
