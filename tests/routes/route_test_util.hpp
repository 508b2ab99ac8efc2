#pragma once
// Test doubles and helpers for the route-handle tests (FailoverRoute, All*Route, selectors, ...): scripted
// destinations that record the Requests they were sent (so exptime rewrites can be checked) and answer with a
// scripted reply, synchronously or when the test releases them (in any order); and a harness that builds a
// tree from JSON through the real config loader and RouteFactory. No sockets.
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay::test {

class ScriptedDestination final : public Destination {
 public:
  explicit ScriptedDestination(std::string name) : name_(std::move(name)) {}
  const std::string& name() const noexcept override { return name_; }

  void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) override {
    requests.push_back(req);
    seen.push_back(std::string(op_name(req->op)) + " " + std::string(req->upstream_key(opts.keep_routing_prefix)));
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    Reply r = reply;
    if (!script.empty()) {
      r = std::move(script.front());
      script.pop_front();
    }
    done(std::move(r));
  }

  // Answers the oldest held request.
  void release_one(const Reply& r) {
    REQUIRE(!held.empty());
    ReplyFn d = std::move(held.front());
    held.pop_front();
    d(Reply(r));
  }
  void release_all(const Reply& r) {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(Reply(r));
  }

  Reply reply{Result::stored};  // the answer when `script` is empty
  std::deque<Reply> script;     // answers for the next requests, in order
  bool hold = false;            // keep callbacks until released
  std::vector<RequestPtr> requests;
  std::vector<std::string> seen;  // "op key" as sent upstream
  std::deque<ReplyFn> held;

 private:
  std::string name_;
};

class ScriptedProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& server,
                                           const config::PoolConfig&) override {
    auto& d = dests[server.text];
    if (!d) d = std::make_shared<ScriptedDestination>(server.text);
    return d;
  }
  std::map<std::string, std::shared_ptr<ScriptedDestination>> dests;
};

inline RequestPtr make_req(Op op, std::string key, std::int64_t exptime = 0) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = std::move(key);
  r->prefix_len = static_cast<std::uint16_t>(routing_prefix_length(r->key));
  r->exptime = exptime;
  if (is_storage(op)) r->value = "v";
  return r;
}

inline Reply hit(std::string value, std::uint32_t flags = 0) {
  Reply r(Result::found, std::move(value));
  r.flags = flags;
  return r;
}
inline Reply err(Result r) { return Reply::error(r, "test error"); }

// What a route answered: filled by the callback, which may run after the test dropped the tree.
struct Answer {
  int calls = 0;
  Reply reply{Result::local_error, "not answered"};
};
using AnswerPtr = std::shared_ptr<Answer>;

inline ReplyFn capture(const AnswerPtr& a) {
  return [a](Reply&& r) {
    ++a->calls;
    a->reply = std::move(r);
  };
}

// Pools A..E with one server each ("a:1" ...), and ABC with three ("a:1", "b:1", "c:1").
inline std::string test_config_text(const std::string& route_json) {
  return R"({"pools": {"A": {"servers": ["a:1"]}, "B": {"servers": ["b:1"]}, "C": {"servers": ["c:1"]},
                       "D": {"servers": ["d:1"]}, "E": {"servers": ["e:1"]},
                       "ABC": {"servers": ["a:1", "b:1", "c:1"]}},
             "route": )" +
         route_json + "}";
}

// A tree built from `route_json` over scripted destinations.
struct Harness {
  explicit Harness(const std::string& route_json) : cfg(config::parse_config(test_config_text(route_json), "test.json")) {
    RouteFactory f(cfg, dests);
    root = f.build(cfg.routes.at(0).route, cfg.routes.at(0).json_path);
    warnings = f.warnings();
  }

  ScriptedDestination& d(const std::string& name) {
    auto it = dests.dests.find(name);
    if (it == dests.dests.end()) throw std::runtime_error("no destination " + name);
    return *it->second;
  }
  std::size_t sent_to(const std::string& name) {
    auto it = dests.dests.find(name);
    return it == dests.dests.end() ? 0 : it->second->seen.size();
  }

  // Routes and requires a synchronous answer.
  Reply route(const RequestPtr& req) {
    auto a = std::make_shared<Answer>();
    root->route(req, capture(a));
    REQUIRE(a->calls == 1);
    return a->reply;
  }
  Reply route(Op op, const std::string& key) { return route(make_req(op, key)); }

  // Routes without requiring an answer yet.
  AnswerPtr start(const RequestPtr& req) {
    auto a = std::make_shared<Answer>();
    root->route(req, capture(a));
    return a;
  }

  std::vector<std::string> where(Op op, const std::string& key) {
    std::vector<std::string> out;
    root->collect_destinations(*make_req(op, key), out);
    return out;
  }

  config::Config cfg;
  ScriptedProvider dests;
  RouteHandlePtr root;
  std::vector<std::string> warnings;  // RouteFactory::warn: what the build ignored
};

// The ConfigError message building `route_json` gives, or "no error".
inline std::string build_error(const std::string& route_json) {
  try {
    Harness h(route_json);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace mcrelay::test
