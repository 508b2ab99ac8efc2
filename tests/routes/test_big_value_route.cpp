// BigValueRoute (mcrouter's BigValueRoute): the chunk and index format, over an in-memory destination that
// stores what it is sent, so a value written in chunks is read back through the route.
#include <catch2/catch.hpp>

#include <map>

#include "route_test_util.hpp"
#include "routes/big_value_route.hpp"
#include "routes/destination_route.hpp"

using namespace mcrelay;
using namespace mcrelay::test;

namespace {

// A destination that behaves like one memcached for get/gets/set/add (no expiry).
class MemoryDestination final : public Destination {
 public:
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr& req, const SendOptions& opts, ReplyFn done) override {
    std::string key(req->upstream_key(opts.keep_routing_prefix));
    sent.push_back(std::string(op_name(req->op)) + " " + key);
    if (fail_key == key) {
      done(Reply::error(Result::timeout, "test"));
      return;
    }
    if (req->op == Op::get || req->op == Op::gets) {
      auto it = items.find(key);
      if (it == items.end()) {
        done(Reply(Result::not_found));
        return;
      }
      Reply r(Result::found, it->second.second);
      r.flags = it->second.first;
      r.cas = 42;
      done(std::move(r));
      return;
    }
    if (req->op == Op::add && items.count(key)) {
      done(Reply(Result::not_stored));
      return;
    }
    items[key] = {req->flags, req->value};
    done(Reply(Result::stored));
  }
  std::map<std::string, std::pair<std::uint32_t, std::string>> items;
  std::vector<std::string> sent;
  std::string fail_key;

 private:
  std::string name_ = "mem:1";
};

struct Setup {
  std::shared_ptr<MemoryDestination> mem = std::make_shared<MemoryDestination>();
  RouteHandlePtr route = std::make_shared<BigValueRoute>(std::make_shared<DestinationRoute>(mem, SendOptions{}), 10);
  Reply run(const RequestPtr& r) {
    auto a = std::make_shared<Answer>();
    route->route(r, capture(a));
    REQUIRE(a->calls == 1);
    return a->reply;
  }
};

RequestPtr store(Op op, const std::string& key, const std::string& value, std::uint32_t flags = 7) {
  auto r = make_req(op, key, 60);
  r->value = value;
  r->flags = flags;
  return r;
}

}  // namespace

TEST_CASE("BigValueRoute: index format and suffix as mcrouter writes them", "[routes][big_value]") {
  auto info = BigValueRoute::ChunksInfo::parse("1-3-123456");
  REQUIRE(info);
  CHECK(info->chunks == 3);
  CHECK(info->suffix == 123456);
  CHECK(info->index() == "1-3-123456");
  for (const char* bad : {"2-3-1", "1-3", "1-3-1x", "", "1--3-1", "x-1-1", "1-3-1 "}) {
    INFO(bad);
    CHECK_FALSE(BigValueRoute::ChunksInfo::parse(bad));
  }
  CHECK(BigValueRoute::chunk_key("k", 2, 99) == "k:2:99");
  CHECK(BigValueRoute::value_suffix("abc") <= 0xffffffffULL);
}

TEST_CASE("BigValueRoute: a large set is split into chunks and read back whole", "[routes][big_value]") {
  Setup s;
  const std::string value = "0123456789abcdefghijKLMNO";  // 25 bytes, threshold 10: 3 chunks
  const auto suffix = BigValueRoute::value_suffix(value);
  CHECK(s.run(store(Op::set, "big", value)).result == Result::stored);
  const std::string sfx = std::to_string(suffix);
  CHECK(s.mem->items.at("big:0:" + sfx).second == "0123456789");
  CHECK(s.mem->items.at("big:1:" + sfx).second == "abcdefghij");
  CHECK(s.mem->items.at("big:2:" + sfx).second == "KLMNO");
  CHECK(s.mem->items.at("big") == std::make_pair(7u | BigValueRoute::kBigValueFlag, "1-3-" + sfx));
  Reply r = s.run(make_req(Op::get, "big"));
  CHECK(r.result == Result::found);
  CHECK(r.value == value);
  CHECK(r.flags == (7u | BigValueRoute::kBigValueFlag));
  Reply g = s.run(make_req(Op::gets, "big"));
  CHECK(g.value == value);
  CHECK(g.cas == 42);
}

TEST_CASE("BigValueRoute: small values, other commands and broken indexes", "[routes][big_value]") {
  Setup s;
  CHECK(s.run(store(Op::set, "small", "0123456789")).result == Result::stored);  // == threshold: not split
  CHECK(s.mem->items.at("small").second == "0123456789");
  CHECK(s.run(make_req(Op::get, "small")).value == "0123456789");
  SECTION("a missing chunk is a miss") {
    s.run(store(Op::set, "big", std::string(25, 'x')));
    s.mem->items.erase("big:1:" + std::to_string(BigValueRoute::value_suffix(std::string(25, 'x'))));
    CHECK(s.run(make_req(Op::get, "big")).result == Result::not_found);
  }
  SECTION("an index that does not parse is a miss") {
    s.mem->items["odd"] = {BigValueRoute::kBigValueFlag, "not-an-index"};
    CHECK(s.run(make_req(Op::get, "odd")).result == Result::not_found);
  }
  SECTION("a failed chunk store fails the set and leaves no index") {
    const std::string v(25, 'y');
    s.mem->fail_key = "big:2:" + std::to_string(BigValueRoute::value_suffix(v));
    CHECK(s.run(store(Op::set, "big", v)).result == Result::timeout);
    CHECK(s.mem->items.count("big") == 0);
  }
  SECTION("add stores chunks with set and the index with add") {
    CHECK(s.run(store(Op::add, "a", std::string(15, 'z'))).result == Result::stored);
    CHECK(s.mem->sent.back() == "add a");
    CHECK(s.run(make_req(Op::get, "a")).value == std::string(15, 'z'));
  }
}
