// lease_translation: mcrouter's lease-get / lease-set / metaget <-> memcached's meta commands. The meta
// replies used here are the ones memcached 1.6.18 sends (checked by tests/integration/test_leases.py).
#include <catch2/catch.hpp>

#include "protocol/lease_translation.hpp"
#include "protocol/reply_writer.hpp"

using namespace mcrelay;

namespace {

std::string upstream(Op op, std::string key, std::uint64_t token = 0, std::string value = {},
                     std::uint32_t flags = 0, std::int64_t exptime = 0, std::uint16_t prefix_len = 0) {
  Request req;
  req.op = op;
  req.key = std::move(key);
  req.prefix_len = prefix_len;
  req.cas_unique = token;
  req.value = std::move(value);
  req.flags = flags;
  req.exptime = exptime;
  std::string out;
  append_lease_upstream_command(out, req, /*keep_routing_prefix=*/false);
  return out;
}

Reply from_server(Op op, std::string line, std::string data = {}, std::int64_t now = 1'000'000) {
  Reply r(meta_result(op, std::string_view(line).substr(0, 2)));
  r.meta_line = std::move(line);
  r.value = std::move(data);
  translate_lease_reply(op, r, now);
  return r;
}

std::string item(Op op, std::string_view key, const Reply& r) {
  std::string out;
  append_item(out, op, key, r);
  return out;
}

}  // namespace

TEST_CASE("lease commands as sent to memcached", "[lease]") {
  CHECK(upstream(Op::lease_get, "k") == "mg k v f c N10\r\n");
  CHECK(upstream(Op::metaget, "k") == "mg k s t\r\n");
  CHECK(upstream(Op::lease_set, "k", 8, "abc", 5, 60) == "ms k 3 C7 F5 T60\r\nabc\r\n");
  CHECK(upstream(Op::lease_set, "k", 2, "", 0, -1) == "ms k 0 C1 F0 T-1\r\n\r\n");
  // Tokens 0 and 1 name no lease: C0 matches no item.
  CHECK(upstream(Op::lease_set, "k", 1, "x") == "ms k 1 C0 F0 T0\r\nx\r\n");
  CHECK(upstream(Op::lease_set, "k", 0, "x") == "ms k 1 C0 F0 T0\r\nx\r\n");
  // The routing prefix stays with the proxy, as for every command.
  CHECK(upstream(Op::lease_get, "/r/c/k", 0, {}, 0, 0, 5) == "mg k v f c N10\r\n");
}

TEST_CASE("lease-get replies", "[lease]") {
  SECTION("a hit is a VALUE") {
    Reply r = from_server(Op::lease_get, "VA 3 f5 c9", "abc");
    CHECK(r.result == Result::found);
    CHECK(r.meta_line.empty());
    CHECK(item(Op::lease_get, "/r/c/k", r) == "VALUE /r/c/k 5 3\r\nabc\r\n");
  }
  SECTION("the winner of a fresh placeholder gets token CAS + 1") {
    Reply r = from_server(Op::lease_get, "VA 0 f0 c1 W");
    CHECK(r.result == Result::not_found);
    CHECK(r.cas == 2);
    CHECK(item(Op::lease_get, "k", r) == "LVALUE k 2 0 0\r\n\r\n");
  }
  SECTION("everyone else gets the hot-miss token 1") {
    CHECK(item(Op::lease_get, "k", from_server(Op::lease_get, "VA 0 f0 c1 Z")) == "LVALUE k 1 0 0\r\n\r\n");
  }
  SECTION("an invalidated item: its stale data comes along") {
    CHECK(item(Op::lease_get, "k", from_server(Op::lease_get, "VA 3 f5 c4 X W", "old")) ==
          "LVALUE k 5 5 3\r\nold\r\n");
    CHECK(item(Op::lease_get, "k", from_server(Op::lease_get, "VA 3 f5 c4 Z X", "old")) ==
          "LVALUE k 1 5 3\r\nold\r\n");
  }
  SECTION("no CAS (memcached -C): no lease can be checked, every miss is hot") {
    CHECK(from_server(Op::lease_get, "VA 0 f0 c0 W").cas == kHotMissToken);
  }
  SECTION("a route's own miss (NullRoute) is an LVALUE with token 0, as mcrouter writes its default reply") {
    CHECK(item(Op::lease_get, "k", Reply(Result::not_found)) == "LVALUE k 0 0 0\r\n\r\n");
  }
  SECTION("errors pass through (the session writes them)") {
    Reply e = Reply::error(Result::remote_error, "out of memory");
    translate_lease_reply(Op::lease_get, e, 0);
    CHECK(e.result == Result::remote_error);
    CHECK(item(Op::lease_get, "k", e).empty());
    Reply odd = from_server(Op::lease_get, "NS");
    CHECK(odd.result == Result::remote_error);
  }
}

TEST_CASE("lease-set replies", "[lease]") {
  auto text = [](Reply r) {
    std::string out;
    append_reply(out, Op::lease_set, r);
    return out;
  };
  CHECK(text(from_server(Op::lease_set, "HD")) == "STORED\r\n");
  CHECK(text(from_server(Op::lease_set, "EX")) == "STALE_STORED\r\n");
  CHECK(text(from_server(Op::lease_set, "NF")) == "NOT_STORED\r\n");
  CHECK(text(from_server(Op::lease_set, "NS")) == "NOT_STORED\r\n");
  CHECK(text(Reply::error(Result::timeout, "timed out")) == "SERVER_ERROR timed out\r\n");
  CHECK(text(Reply(Result::not_stored)) == "NOT_STORED\r\n");  // a route's default reply
}

TEST_CASE("metaget replies", "[lease]") {
  SECTION("a hit: absolute exptime, the server's address") {
    Reply r = from_server(Op::metaget, "HD s3 t100", {}, 1'700'000'000);
    CHECK(r.result == Result::found);
    CHECK(r.exptime == 1'700'000'100);
    r.value = "127.0.0.1";
    CHECK(item(Op::metaget, "k", r) == "META k age: unknown; exptime: 1700000100; from: 127.0.0.1; is_transient: 0\r\n");
  }
  SECTION("no expiry is exptime 0; an unknown server is 'unknown'") {
    Reply r = from_server(Op::metaget, "HD s3 t-1");
    CHECK(r.exptime == 0);
    CHECK(item(Op::metaget, "k", r) == "META k age: unknown; exptime: 0; from: unknown; is_transient: 0\r\n");
  }
  SECTION("misses: no item, an invalidated item, a lease placeholder") {
    CHECK(from_server(Op::metaget, "EN").result == Result::not_found);
    CHECK(from_server(Op::metaget, "HD s3 t29 Z X").result == Result::not_found);
    CHECK(from_server(Op::metaget, "HD s0 t9 Z").result == Result::not_found);
    CHECK(item(Op::metaget, "k", from_server(Op::metaget, "EN")).empty());
  }
  SECTION("an item being recached (Z, but with data) is still an item") {
    CHECK(from_server(Op::metaget, "HD s3 t9 Z").result == Result::found);
  }
}

TEST_CASE("op names and kinds follow mcrouter's", "[lease]") {
  CHECK(op_name(Op::lease_get) == "lease-get");
  CHECK(op_name(Op::lease_set) == "lease-set");
  CHECK(op_name(Op::metaget) == "metaget");
  CHECK(op_kind(Op::lease_get) == OpKind::get);
  CHECK(op_kind(Op::metaget) == OpKind::get);
  CHECK(op_kind(Op::lease_set) == OpKind::update);
}
