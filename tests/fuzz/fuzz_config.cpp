// libFuzzer harness for the config loader: parse_config (config/config.hpp, with config/relaxed_json.hpp
// underneath) and the route trees built from it (routes/root_route.hpp, routes/route_factory.hpp), with inert
// destinations as proxy/loaded_config.cpp's validation does.
//
// Input: the config text. Contract under test: a bad config throws config::ConfigError and nothing else.
// JSONM @import reads from a fixed in-memory set of files ("lib.json", "servers.json"), never from disk, so
// runs are hermetic.
// Traps (libFuzzer reports a crash) on any other exception (nlohmann::json type_error, std::out_of_range,
// std::bad_alloc, ...) and, through the sanitizers, on memory errors and undefined behaviour.
// A config that loads is then used lightly: every tree routes a few requests to the inert destinations
// (each must call its callback exactly once, synchronously here, as the destinations answer at once) and
// is asked for its destinations.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "fuzz_util.hpp"
#include "routes/destination.hpp"
#include "routes/root_route.hpp"
#include "routes/route_factory.hpp"

using namespace mcrelay;

namespace {

// After proxy/loaded_config.cpp's inert destinations (they answer at once and open no socket), but with
// four behaviours chosen by the server's port, so that routes see misses, hits and down servers too
// (failover, warm-up, ejection paths): port % 4 == 0: down (available() false, connect_error);
// 1: local_error (what loaded_config.cpp's answer); 2: a miss (not_found / not_stored); 3: a hit
// (found / stored / deleted / touched / ok).
class InertDestination final : public Destination {
 public:
  InertDestination(std::string name, unsigned mode) : name_(std::move(name)), mode_(mode % 4) {}
  const std::string& name() const noexcept override { return name_; }
  bool available() const noexcept override { return mode_ != 0; }
  void send(const RequestPtr& req, const SendOptions&, ReplyFn done) override {
    switch (mode_) {
      case 0:
        done(Reply::error(Result::connect_error, "down"));
        return;
      case 1:
        done(Reply::error(Result::local_error, "validation only"));
        return;
      case 2:
        done(Reply(is_storage(req->op) ? Result::not_stored : Result::not_found));
        return;
      default:
        break;
    }
    Reply r(Result::ok);
    if (is_retrieval(req->op)) {
      r = Reply(Result::found, "value");
      r.flags = 7;
      r.cas = 42;
    } else if (is_storage(req->op)) {
      r = Reply(Result::stored);
    } else if (req->op == Op::delete_) {
      r = Reply(Result::deleted);
    } else if (req->op == Op::touch) {
      r = Reply(Result::touched);
    } else if (req->op == Op::incr || req->op == Op::decr) {
      r = Reply(Result::found, "1");
    }
    done(std::move(r));
  }

 private:
  std::string name_;
  unsigned mode_;
};

class InertProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& server, const config::PoolConfig&) override {
    auto& d = dests_[server.text];
    if (!d) d = std::make_shared<InertDestination>(server.text, server.port);
    return d;
  }

 private:
  std::map<std::string, std::shared_ptr<InertDestination>> dests_;
};

RequestPtr make_request(Op op, std::string key) {
  auto r = make_ref<Request>();
  r->op = op;
  r->key = std::move(key);
  r->prefix_len = static_cast<std::uint16_t>(routing_prefix_length(r->key));
  if (is_storage(op)) r->value = "v";
  if (op == Op::incr) r->delta = 1;
  if (op == Op::touch || op == Op::set) r->exptime = 10;
  return r;
}

void exercise(const RootRoute& router) {
  static const Op kOps[] = {Op::get,  Op::gets,   Op::gat,  Op::set,   Op::add, Op::cas,
                            Op::append, Op::delete_, Op::incr, Op::decr, Op::touch};
  static const char* const kKeys[] = {"key", "/a/b/key", "user:1|#|x"};
  for (const auto& tree : router.trees()) {
    FUZZ_CHECK(tree != nullptr, "Router holds a null tree");
    for (Op op : kOps) {
      for (const char* key : kKeys) {
        int calls = 0;
        tree->route(make_request(op, key), [&calls](Reply&&) { ++calls; });
        FUZZ_CHECK(calls == 1, "route() did not call done exactly once",
                   std::string(tree->type()) + " " + std::string(op_name(op)) + " " + key + ": " +
                       std::to_string(calls) + " calls");
        std::vector<std::string> out;
        tree->collect_destinations(*make_request(op, key), out);
      }
    }
    int calls = 0;
    tree->broadcast(make_request(Op::flush_all, ""), [&calls](Reply&&) { ++calls; });
    FUZZ_CHECK(calls == 1, "broadcast() did not call done exactly once", std::string(tree->type()));
  }
  std::uint16_t prefix_len = 0;
  router.select("/a/b/key", prefix_len);
  router.select("key", prefix_len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // FUZZ_CONFIG_VERBOSE=1: say what each input did (for writing seeds: fuzz_config -runs=0 DIR).
  static const bool verbose = std::getenv("FUZZ_CONFIG_VERBOSE") != nullptr;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    static const config::JsonmOptions jsonm = [] {
      config::JsonmOptions o;
      o.read_import = [](const std::string& path) -> std::string {
        if (path == "lib.json") {
          return R"j({"lib_route": {"type": "macroDef", "params": ["p"], "result": "PoolRoute|%p%"}})j";
        }
        if (path == "servers.json") return R"j(["a:3", "b:2", // comment
                                                "c:1",])j";
        throw config::ConfigError("cannot read " + path + ": not in the fuzz harness's import set");
      };
      return o;
    }();
    const config::Config cfg =
        config::parse_config(text, "fuzz.json", config::kDefaultRoutePrefix, jsonm);
    InertProvider inert;
    const RootRoute router(cfg, inert, std::string(config::kDefaultRoutePrefix));
    exercise(router);
    if (verbose) std::fprintf(stderr, "loaded: %zu trees\n", router.trees().size());
  } catch (const config::ConfigError& e) {
    // The documented failure; its message must say something.
    FUZZ_CHECK(e.what() != nullptr && e.what()[0] != '\0', "ConfigError with an empty message");
    if (verbose) std::fprintf(stderr, "ConfigError: %s\n", e.what());
    return 0;
  } catch (const std::exception& e) {
    mcrelay::fuzz::fail("an exception other than config::ConfigError escaped",
                        std::string(typeid(e).name()) + ": " + e.what());
  } catch (...) {
    mcrelay::fuzz::fail("a non-std exception escaped");
  }
  return 0;
}
