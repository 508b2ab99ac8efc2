// listeners: finding another process's listening socket on our port in /proc/net/tcp{,6}.
#include <catch2/catch.hpp>

#include "proxy/listeners.hpp"

using namespace mcrelay;
namespace ip = boost::asio::ip;

namespace {
const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n"
    "   1: 00000000:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0\n"
    "   2: 0100007F:1388 0100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1\n";
const char* kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 444 1 0 100 0 0 10 0\n"
    "   1: 0000000000000000FFFF00000100007F:138A 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 555 1 0 100 0 0 10 0\n";
}  // namespace

TEST_CASE("listeners: /proc/net/tcp listening sockets", "[listeners]") {
  auto v4 = parse_proc_net_tcp(kTcp, false);
  REQUIRE(v4.size() == 2);  // the established connection (st 01) is not a listener
  CHECK(v4[0].address == ip::make_address("127.0.0.1"));
  CHECK(v4[0].port == 5000);
  CHECK(v4[0].inode == 111);
  CHECK(v4[1].address == ip::make_address("0.0.0.0"));
  CHECK(v4[1].port == 5001);
  auto v6 = parse_proc_net_tcp(kTcp6, true);
  REQUIRE(v6.size() == 2);
  CHECK(v6[0].address == ip::make_address("::"));
  CHECK(v6[1].address == ip::make_address("127.0.0.1"));  // v4-mapped, compared as IPv4
  CHECK(v6[1].port == 5002);
  CHECK(parse_proc_net_tcp("header only\n", false).empty());
}

TEST_CASE("listeners: another process's listener on our port is found, ours are not", "[listeners]") {
  auto all = parse_proc_net_tcp(kTcp, false);
  auto v6 = parse_proc_net_tcp(kTcp6, true);
  all.insert(all.end(), v6.begin(), v6.end());
  auto lo = ip::make_address("127.0.0.1");
  // Port 5000: 127.0.0.1 (inode 111) and [::] (444) listen.
  CHECK(foreign_listeners(all, lo, 5000, {111, 444}).empty());
  CHECK(foreign_listeners(all, lo, 5000, {444}) == std::vector<std::string>{"127.0.0.1:5000"});
  CHECK(foreign_listeners(all, lo, 5000, {111}) == std::vector<std::string>{"[::]:5000"});
  // Port 5001: 0.0.0.0 takes 127.0.0.1's connections too; another address of ours also overlaps a wildcard.
  CHECK(foreign_listeners(all, lo, 5001, {}) == std::vector<std::string>{"0.0.0.0:5001"});
  CHECK(foreign_listeners(all, ip::make_address("10.1.2.3"), 5001, {}).size() == 1);
  // Port 5002: 127.0.0.1 only (v4-mapped): a different address does not overlap.
  CHECK(foreign_listeners(all, ip::make_address("10.1.2.3"), 5002, {}).empty());
  CHECK(foreign_listeners(all, ip::make_address("0.0.0.0"), 5002, {}).size() == 1);
  CHECK(foreign_listeners(all, lo, 6000, {}).empty());
}
