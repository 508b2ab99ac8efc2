// parse_server_address: mcrouter's access-point syntax for pool servers.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "config/server_address.hpp"

using mcrelay::config::parse_server_address;
using mcrelay::config::ServerAddress;

namespace {

// The reason parse_server_address gives for `text` ("" if it parses).
std::string reason_for(const std::string& text) {
  try {
    parse_server_address(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("server addresses: host:port forms", "[config][server_address]") {
  SECTION("IPv4") {
    const ServerAddress a = parse_server_address("127.0.0.1:5001");
    CHECK(a == ServerAddress{"127.0.0.1:5001", "127.0.0.1", 5001});
    CHECK(a.text == "127.0.0.1:5001");
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 5001);
  }
  SECTION("hostname") {
    const ServerAddress a = parse_server_address("memcached-0.memcached.default.svc.cluster.local:11211");
    CHECK(a.text == "memcached-0.memcached.default.svc.cluster.local:11211");
    CHECK(a.host == "memcached-0.memcached.default.svc.cluster.local");
    CHECK(a.port == 11211);
  }
  SECTION("bracketed IPv6") {
    const ServerAddress a = parse_server_address("[::1]:12345");
    CHECK(a.host == "::1");
    CHECK(a.port == 12345);
    CHECK(a.text == "[::1]:12345");
    CHECK(parse_server_address("[2001:db8::7]:1").host == "2001:db8::7");
    CHECK(parse_server_address("Cache-0.Example:1").text == "Cache-0.Example:1");  // hostnames kept as written
    CHECK(parse_server_address("[fe80::1%eth0]:11211").host == "fe80::1%eth0");
    CHECK(parse_server_address("[::ffff:10.0.0.1]:11211").host == "::ffff:10.0.0.1");
  }
  SECTION("no port means memcached's default") {
    CHECK(parse_server_address("localhost").port == 11211);
    CHECK(parse_server_address("localhost").text == "localhost:11211");
    CHECK(parse_server_address("[::1]").port == 11211);
    CHECK(parse_server_address("[::1]").text == "[::1]:11211");
  }
  SECTION("port bounds") {
    CHECK(parse_server_address("h:1").port == 1);
    CHECK(parse_server_address("h:65535").port == 65535);
  }
}

TEST_CASE("server addresses: mcrouter's protocol/security/compression suffixes", "[config][server_address]") {
  const ServerAddress a = parse_server_address("10.0.0.1:11211:ascii:plain");
  CHECK(a.host == "10.0.0.1");
  CHECK(a.port == 11211);
  CHECK(a.text == "10.0.0.1:11211");  // canonical: the ignored suffixes are dropped
  CHECK(parse_server_address("h:1:ascii").port == 1);
  CHECK(parse_server_address("h:1:ASCII:Plain").port == 1);
  CHECK(parse_server_address("[::1]:5000:ascii:plain:notcompressed").text == "[::1]:5000");
  CHECK(parse_server_address("h:1::plain").port == 1);  // empty field = mcrouter's default

  CHECK(reason_for("h:1:caret") == "only the ASCII protocol is supported, got \"caret\"");
  CHECK(reason_for("h:1:umbrella:plain") == "only the ASCII protocol is supported, got \"umbrella\"");
  CHECK(reason_for("[::1]:1:thrift") == "only the ASCII protocol is supported, got \"thrift\"");
  CHECK(reason_for("h:1:binary") == "unknown protocol \"binary\" (only ascii is supported)");
  CHECK(reason_for("h:1:ascii:tls12") == "unknown security \"tls12\" (plain or ssl)");
  CHECK(reason_for("h:1:ascii:plain:compressed") ==
        "compression is not supported, got \"compressed\" (use notcompressed or leave it out)");
  CHECK(reason_for("h:1:ascii:plain:notcompressed:x") ==
        "too many ':'-separated fields (expected host:port[:protocol[:security[:compression]]])");
}

TEST_CASE("server addresses: errors", "[config][server_address]") {
  CHECK(reason_for("") == "empty server address");
  CHECK(reason_for("host:") == "missing port after ':'");
  CHECK(reason_for(":11211") == "missing host before ':'");
  CHECK(reason_for("host:abc") == "port \"abc\" is not a number");
  CHECK(reason_for("host:-1") == "port \"-1\" is not a number");
  CHECK(parse_server_address("localhost:0").text == "localhost:0");  // mcrouter accepts port 0
  CHECK(reason_for("host:65536") == "port must be between 0 and 65535, got 65536");
  CHECK(reason_for("host:99999999999999999999") == "port must be between 0 and 65535, got 99999999999999999999");
  CHECK(reason_for("host name:1") == "invalid character (byte 0x20) in host \"host name\"");
  CHECK(reason_for("ho/st:1") == "invalid character '/' in host \"ho/st\"");
  CHECK(reason_for("[::1:11211") == "missing ']' after the IPv6 address");
  CHECK(reason_for("[]:11211") == "empty IPv6 address in brackets");
  CHECK(reason_for("[localhost]:11211") == "invalid IPv6 address \"localhost\" in brackets");
  CHECK(reason_for("[::1]11211") == "expected ':' after ']', got \"11211\"");
  CHECK(reason_for("::1") == "IPv6 addresses must be written in brackets, e.g. \"[::1]:11211\"");
  CHECK(reason_for("fe80::1:11211") == "IPv6 addresses must be written in brackets, e.g. \"[::1]:11211\"");
  CHECK(reason_for("2001:db8:0:0:0:0:0:1") == "IPv6 addresses must be written in brackets, e.g. \"[::1]:11211\"");
  CHECK(reason_for("unix:") == "missing path after \"unix:\"");
  CHECK(reason_for("unix:run/mc.sock") == "the Unix socket path \"run/mc.sock\" must be absolute");
  CHECK(reason_for("unix:/" + std::string(107, 'a')) ==
        "the Unix socket path is longer than 107 bytes (the limit of a socket address)");
  CHECK(reason_for("unix:/run/mc.sock:ascii:ssl") ==
        "TLS over a Unix socket is not supported (as in mcrouter); use security plain");
  CHECK(reason_for("unix:/run/mc.sock:ascii:plain:notcompressed:x") ==
        "too many ':'-separated fields (expected unix:/path[:protocol[:security[:compression]]])");
}

TEST_CASE("server addresses: TLS (security \"ssl\") and Unix domain sockets, as mcrouter's AccessPoint",
          "[config][server_address]") {
  const ServerAddress tls = parse_server_address("cache-0.cache:11211:ascii:ssl");
  CHECK(tls.use_ssl);
  CHECK(tls.host == "cache-0.cache");
  CHECK(tls.text == "cache-0.cache:11211");  // the same server whatever the transport: one destination name
  CHECK(parse_server_address("h:1:ascii:SSL").use_ssl);
  CHECK_FALSE(parse_server_address("h:1:ascii:plain").use_ssl);
  CHECK_FALSE(parse_server_address("h:1").use_ssl);

  const ServerAddress u = parse_server_address("unix:/var/run/memcached/memcached.sock");
  CHECK(u.unix_socket);
  CHECK(u.host == "/var/run/memcached/memcached.sock");
  CHECK(u.port == 0);
  CHECK(u.text == "unix:/var/run/memcached/memcached.sock");
  CHECK_FALSE(u.use_ssl);
  const ServerAddress v = parse_server_address("unix:/run/mc.sock:ascii:plain:notcompressed");
  CHECK(v.unix_socket);
  CHECK(v.text == "unix:/run/mc.sock");
  CHECK_FALSE(parse_server_address("unixhost:1").unix_socket);  // a host name that starts with "unix"
}
