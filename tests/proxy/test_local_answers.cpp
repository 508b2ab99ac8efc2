// RootRoute::select_or_answer with the settings proxy/local_answers.hpp's root_settings() takes from Options: the replies the proxy makes itself instead of routing, in
// mcrouter's order; Router::find for keys whose routing prefix names no route.
#include <catch2/catch.hpp>

#include <map>

#include "proxy/loaded_config.hpp"
#include "proxy/local_answers.hpp"
#include "proxy/options.hpp"
#include "proxy/router.hpp"

using namespace mcrelay;

namespace {

class Inert final : public Destination {
 public:
  explicit Inert(std::string n) : name_(std::move(n)) {}
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr&, const SendOptions&, ReplyFn done) override { done(Reply(Result::stored)); }

 private:
  std::string name_;
};

class InertProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& s, const config::PoolConfig&) override {
    auto& d = dests_[s.text];
    if (!d) d = std::make_shared<Inert>(s.text);
    return d;
  }

 private:
  std::map<std::string, std::shared_ptr<Inert>> dests_;
};

struct Fixture {
  std::shared_ptr<LoadedConfig> cfg = load_config_text(
      R"({"pools": {"A": {"servers": ["10.0.0.1:11211"]}, "B": {"servers": ["10.0.0.2:11211"]}},
          "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                     {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]})",
      "test.json", "/b/x/");
  InertProvider provider;
  Router router{cfg->config, provider, "/b/x/"};
  Options options;

  // "" when routed (prefix_len in *prefix_len), else the reply the client gets.
  std::string answer(Op op, std::string key, std::uint16_t* prefix_len = nullptr) {
    Request req;
    req.op = op;
    req.key = std::move(key);
    Reply r;
    RouteHandle* route = router.select_or_answer(req, r, root_settings(options), {});
    if (prefix_len) *prefix_len = req.prefix_len;
    if (route) return "";
    std::string out(result_name(r.result));
    if (!r.value.empty()) out += ":" + r.value;
    return out;
  }
};

}  // namespace

TEST_CASE("select_or_answer: keys over 250 bytes are bad keys", "[local_answers]") {
  Fixture f;
  CHECK(f.answer(Op::get, std::string(250, 'k')).empty());
  CHECK(f.answer(Op::get, std::string(251, 'k')) == std::string(result_name(Result::client_error)) + ":bad key");
}

TEST_CASE("select_or_answer: an unknown routing prefix is a local error unless sent to the default route",
          "[local_answers]") {
  Fixture f;
  std::uint16_t pl = 99;
  CHECK(f.answer(Op::set, "/a/x/k", &pl).empty());
  CHECK(pl == 5);
  CHECK(f.answer(Op::set, "plain", &pl).empty());
  CHECK(pl == 0);
  CHECK(f.answer(Op::set, "/a/x/", &pl).empty());  // nothing but a prefix: the default route, whole key
  CHECK(pl == 0);
  CHECK(f.answer(Op::set, "/zz/y/k") == result_name(Result::local_error));
  CHECK(f.answer(Op::get, "/zz/y/k") == result_name(Result::local_error));
  f.options.send_invalid_route_to_default = true;
  CHECK(f.answer(Op::get, "/zz/y/k", &pl).empty());
  CHECK(pl == 6);  // stripped, as mcrouter does
  std::uint16_t unused = 0;
  CHECK(f.router.find("/zz/y/k", unused, true) == &f.router.default_route());
  CHECK(f.router.find("/zz/y/k", unused, false) == nullptr);
}

TEST_CASE("select_or_answer: --allow-only-gets answers updates NOT_STORED and the rest NOT_FOUND",
          "[local_answers]") {
  Fixture f;
  f.options.allow_only_gets = true;
  for (Op op : {Op::get, Op::gets, Op::gat, Op::gats, Op::mg, Op::me}) {
    CAPTURE(op_name(op));
    CHECK(f.answer(op, "k").empty());
    CHECK(is_get_like(op));
  }
  for (Op op : {Op::set, Op::add, Op::replace, Op::append, Op::prepend, Op::cas, Op::ms}) {
    CAPTURE(op_name(op));
    CHECK(f.answer(op, "k") == result_name(Result::not_stored));
  }
  for (Op op : {Op::delete_, Op::incr, Op::decr, Op::touch, Op::md, Op::ma}) {
    CAPTURE(op_name(op));
    CHECK(f.answer(op, "k") == result_name(Result::not_found));
  }
  // Even for a key whose routing prefix is unknown (mcrouter's RootRoute answers before looking), but a
  // bad key is refused first (its session does, before routing).
  CHECK(f.answer(Op::set, "/zz/y/k") == result_name(Result::not_stored));
  CHECK(f.answer(Op::set, std::string(251, 'k')) == std::string(result_name(Result::client_error)) + ":bad key");
}

TEST_CASE("shutdown_reply: refused without --enable-shutdown-cmd, memcached's words", "[local_answers]") {
  Options o;
  CHECK(shutdown_reply(o, "") == kShutdownDisabled);
  CHECK(shutdown_reply(o, "bogus") == kShutdownDisabled);  // memcached checks "enabled" first
  o.enable_shutdown_cmd = true;
  CHECK(shutdown_reply(o, "").empty());
  CHECK(shutdown_reply(o, "graceful").empty());
  CHECK(shutdown_reply(o, "bogus") == kBadShutdownMode);
}
