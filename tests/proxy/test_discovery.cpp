// Service discovery without a network: StatefulSet ordinals, gaps, scale-down hysteresis, the DNS answer
// parser, expand_discovered_pools, and the ServiceDiscovery thread driven by a fake lookup.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/discovery.hpp"
#include "proxy/discovery_config.hpp"

using namespace mcrelay;
using namespace mcrelay::discovery;
using mcrelay::config::DiscoverConfig;
using mcrelay::config::ServerAddress;

namespace {

const std::string kSuffix = ".mycache-memcached.default.svc.cluster.local";

std::string pod(unsigned ordinal) { return "mycache-memcached-" + std::to_string(ordinal) + kSuffix; }

DnsAnswer srv(std::initializer_list<unsigned> ordinals) {
  DnsAnswer a;
  for (unsigned o : ordinals) a.srv_targets.push_back(pod(o) + ".");  // as DNS returns them
  return a;
}

DnsAnswer ips(std::initializer_list<const char*> addresses) {
  DnsAnswer a;
  for (const char* s : addresses) a.addresses.push_back(boost::asio::ip::make_address(s));
  return a;
}

DiscoverConfig discover(unsigned grace = 3) {
  DiscoverConfig d;
  d.service = "mycache-memcached.default.svc.cluster.local";
  d.port = 11211;
  d.port_name = "memcache";
  d.refresh_ms = 5000;
  d.scale_down_grace = grace;
  return d;
}

std::vector<std::string> texts(const std::vector<ServerAddress>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.text);
  return out;
}
std::vector<std::string> texts(const MemberState& s) { return texts(s.members); }

std::vector<std::string> pods(unsigned count) {
  std::vector<std::string> out;
  for (unsigned i = 0; i < count; ++i) out.push_back(pod(i) + ":11211");
  return out;
}

}  // namespace

TEST_CASE("discovery: StatefulSet ordinals in SRV targets", "[discovery]") {
  auto p = parse_ordinal_name("mycache-memcached-2.mycache-memcached.default.svc.cluster.local.");
  REQUIRE(p.has_value());
  CHECK(p->prefix == "mycache-memcached-");
  CHECK(p->ordinal == 2u);
  CHECK(p->suffix == kSuffix);
  CHECK(ordinal_host(*p, 7) == pod(7));

  p = parse_ordinal_name("Web-10.Svc.NS.svc.cluster.local");  // case-insensitive, canonical lowercase
  REQUIRE(p.has_value());
  CHECK(p->prefix == "web-");
  CHECK(p->ordinal == 10u);
  CHECK(p->suffix == ".svc.ns.svc.cluster.local");

  p = parse_ordinal_name("web-0");
  REQUIRE(p.has_value());
  CHECK(p->ordinal == 0u);
  CHECK(p->suffix.empty());

  CHECK_FALSE(parse_ordinal_name("web.svc.cluster.local"));       // no "-<digits>"
  CHECK_FALSE(parse_ordinal_name("web-.svc"));                    // no digits
  CHECK_FALSE(parse_ordinal_name("-3.svc"));                      // no name
  CHECK_FALSE(parse_ordinal_name("web-01.svc"));                  // not how a StatefulSet names pods
  CHECK_FALSE(parse_ordinal_name("web-x1.svc"));
  CHECK_FALSE(parse_ordinal_name("web-1234567890.svc"));          // too long
  CHECK_FALSE(parse_ordinal_name("10-244-1-5.mc.default.svc.cluster.local"));  // CoreDNS: pod without hostname
  CHECK_FALSE(parse_ordinal_name("fd00--1.mc.default.svc.cluster.local"));     // same, IPv6
}

TEST_CASE("discovery: members are ordered by ordinal, whatever the DNS order", "[discovery]") {
  const MemberState s = next_members({}, srv({2, 0, 1}), discover());
  CHECK(texts(s) == pods(3));
  CHECK(s.absent == std::vector<unsigned>{0, 0, 0});
  CHECK(s.members[2].host == pod(2));
  CHECK(s.members[2].port == 11211);

  // Deterministic: shuffled, duplicated (several ports per pod), different case, with and without the dot.
  DnsAnswer messy;
  messy.srv_targets = {pod(1), "MYCACHE-memcached-0" + kSuffix + ".", pod(2) + ".", pod(1) + ".", "."};
  std::mt19937 rng(42);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(messy.srv_targets.begin(), messy.srv_targets.end(), rng);
    CHECK(next_members({}, messy, discover()) == s);
  }

  // The configured port, not the SRV records' ports.
  DiscoverConfig d = discover();
  d.port = 5001;
  CHECK(next_members({}, srv({0}), d).members[0].text == pod(0) + ":5001");
}

TEST_CASE("discovery: a missing ordinal keeps its index", "[discovery]") {
  std::string warning = "x";
  const MemberState s = next_members({}, srv({0, 3, 2}), discover(), &warning);
  CHECK(warning.empty());
  CHECK(texts(s) == pods(4));  // 1 is synthesized: simply down
  CHECK(s.absent == std::vector<unsigned>{0, 1, 0, 0});

  // A pod restarting in the middle: the list does not change, whatever the grace.
  MemberState t = next_members({}, srv({0, 1, 2, 3}), discover(0));
  for (int i = 1; i <= 5; ++i) {
    t = next_members(t, srv({0, 2, 3}), discover(0));
    CHECK(texts(t) == pods(4));
    CHECK(t.absent[1] == static_cast<unsigned>(i));
  }
  t = next_members(t, srv({0, 1, 2, 3}), discover(0));
  CHECK(t.absent == std::vector<unsigned>{0, 0, 0, 0});
}

TEST_CASE("discovery: growth is immediate and appends", "[discovery]") {
  MemberState s = next_members({}, srv({0, 1, 2}), discover());
  s = next_members(s, srv({0, 1, 2, 3}), discover());
  CHECK(texts(s) == pods(4));
  s = next_members(s, srv({0, 1, 2, 3, 5}), discover());  // 4 not there yet
  CHECK(texts(s) == pods(6));
  CHECK(s.absent == std::vector<unsigned>{0, 0, 0, 0, 1, 0});
}

TEST_CASE("discovery: the list shrinks only after scale_down_grace refreshes", "[discovery]") {
  SECTION("grace 3") {
    MemberState s = next_members({}, srv({0, 1, 2, 3}), discover(3));
    s = next_members(s, srv({0, 1, 2}), discover(3));
    CHECK(texts(s) == pods(4));
    CHECK(s.absent == std::vector<unsigned>{0, 0, 0, 1});
    s = next_members(s, srv({0, 1, 2}), discover(3));
    CHECK(texts(s) == pods(4));
    s = next_members(s, srv({0, 1, 2}), discover(3));  // the 3rd consecutive refresh without it
    CHECK(texts(s) == pods(3));
    CHECK(s.absent == std::vector<unsigned>{0, 0, 0});
  }
  SECTION("coming back within the grace resets the count") {
    MemberState s = next_members({}, srv({0, 1, 2, 3}), discover(3));
    s = next_members(s, srv({0, 1, 2}), discover(3));
    s = next_members(s, srv({0, 1, 2}), discover(3));
    s = next_members(s, srv({0, 1, 2, 3}), discover(3));  // it was only restarting
    CHECK(s.absent == std::vector<unsigned>{0, 0, 0, 0});
    s = next_members(s, srv({0, 1, 2}), discover(3));
    s = next_members(s, srv({0, 1, 2}), discover(3));
    CHECK(texts(s) == pods(4));
  }
  SECTION("grace 0 shrinks at once") {
    MemberState s = next_members({}, srv({0, 1, 2, 3}), discover(0));
    s = next_members(s, srv({0, 1}), discover(0));
    CHECK(texts(s) == pods(2));
  }
  SECTION("scale-down by two: each index waits for its own grace") {
    MemberState s = next_members({}, srv({0, 1, 2, 3}), discover(2));
    s = next_members(s, srv({0, 1, 2}), discover(2));    // 3 goes first
    s = next_members(s, srv({0, 1}), discover(2));       // then 2; 3 is out (2 refreshes)
    CHECK(texts(s) == pods(3));
    s = next_members(s, srv({0, 1}), discover(2));       // 2 is out
    CHECK(texts(s) == pods(2));
  }
  SECTION("a gap below a vanishing top goes with it when it has waited long enough") {
    MemberState s = next_members({}, srv({0, 1, 3}), discover(2));  // 2 is down
    s = next_members(s, srv({0, 1, 3}), discover(2));
    CHECK(s.absent == std::vector<unsigned>{0, 0, 2, 0});
    s = next_members(s, srv({0, 1}), discover(2));
    CHECK(texts(s) == pods(4));
    s = next_members(s, srv({0, 1}), discover(2));
    CHECK(texts(s) == pods(2));
  }
  SECTION("a list that is not this StatefulSet's does not carry over") {
    MemberState other;
    for (int i = 0; i < 5; ++i) other.members.push_back(config::parse_server_address("other-" + std::to_string(i) + kSuffix));
    other.absent.assign(5, 0);
    const MemberState s = next_members(other, srv({0, 1}), discover(3));
    CHECK(texts(s) == pods(2));
  }
  SECTION("an empty answer changes nothing") {
    const MemberState s = next_members({}, srv({0, 1}), discover());
    CHECK(next_members(s, DnsAnswer{}, discover()) == s);
  }
}

TEST_CASE("discovery: SRV targets without usable ordinals are ordered by name", "[discovery]") {
  std::string warning;
  SECTION("two StatefulSets") {
    DnsAnswer a;
    a.srv_targets = {"b-0.svc.ns.svc.cluster.local", "a-1.svc.ns.svc.cluster.local", "a-0.svc.ns.svc.cluster.local"};
    const MemberState s = next_members({}, a, discover(), &warning);
    CHECK(texts(s) == std::vector<std::string>{"a-0.svc.ns.svc.cluster.local:11211", "a-1.svc.ns.svc.cluster.local:11211",
                                               "b-0.svc.ns.svc.cluster.local:11211"});
    CHECK(warning.find("belong to different StatefulSets") != std::string::npos);
  }
  SECTION("pods without hostnames (dashed IPs), with grace for vanished ones") {
    DnsAnswer a;
    a.srv_targets = {"10-0-0-9.mc.ns.svc.cluster.local", "10-0-0-10.mc.ns.svc.cluster.local"};
    MemberState s = next_members({}, a, discover(2), &warning);
    CHECK(warning.find("has no StatefulSet ordinal") != std::string::npos);
    CHECK(texts(s) == std::vector<std::string>{"10-0-0-10.mc.ns.svc.cluster.local:11211",
                                               "10-0-0-9.mc.ns.svc.cluster.local:11211"});
    a.srv_targets = {"10-0-0-10.mc.ns.svc.cluster.local"};
    s = next_members(s, a, discover(2), &warning);
    CHECK(s.members.size() == 2);
    CHECK(s.absent == std::vector<unsigned>{0, 1});
    s = next_members(s, a, discover(2), &warning);
    CHECK(texts(s) == std::vector<std::string>{"10-0-0-10.mc.ns.svc.cluster.local:11211"});
  }
  SECTION("an absurd ordinal") {
    DnsAnswer a;
    a.srv_targets = {"web-0.svc", "web-1024.svc"};
    const MemberState s = next_members({}, a, discover(), &warning);
    CHECK(texts(s) == std::vector<std::string>{"web-0.svc:11211", "web-1024.svc:11211"});
    CHECK(warning.find("has an ordinal of 1024 or more") != std::string::npos);
  }
  SECTION("unusable targets are dropped") {
    DnsAnswer a;
    a.srv_targets = {"web-0.svc", "bad\\.name", "web-1.svc"};
    CHECK(texts(next_members({}, a, discover(), &warning)) ==
          std::vector<std::string>{"web-0.svc:11211", "web-1.svc:11211"});
    CHECK(warning.empty());
  }
}

TEST_CASE("discovery: A/AAAA fallback orders addresses numerically", "[discovery]") {
  MemberState s = next_members({}, ips({"fd00::2", "10.0.0.10", "10.0.0.9", "fd00::1", "10.0.0.9"}), discover(2));
  CHECK(texts(s) ==
        std::vector<std::string>{"10.0.0.9:11211", "10.0.0.10:11211", "[fd00::1]:11211", "[fd00::2]:11211"});
  CHECK(s.members[2].host == "fd00::1");
  CHECK(next_members({}, ips({"fd00::1", "10.0.0.9", "fd00::2", "10.0.0.10"}), discover(2)) == s);

  // A vanished address stays for the grace; a new one is inserted in order.
  s = next_members(s, ips({"10.0.0.9", "10.0.0.11", "fd00::1", "fd00::2"}), discover(2));
  CHECK(texts(s) == std::vector<std::string>{"10.0.0.9:11211", "10.0.0.10:11211", "10.0.0.11:11211",
                                             "[fd00::1]:11211", "[fd00::2]:11211"});
  CHECK(s.absent == std::vector<unsigned>{0, 1, 0, 0, 0});
  s = next_members(s, ips({"10.0.0.9", "10.0.0.11", "fd00::1", "fd00::2"}), discover(2));
  CHECK(texts(s) == std::vector<std::string>{"10.0.0.9:11211", "10.0.0.11:11211", "[fd00::1]:11211",
                                             "[fd00::2]:11211"});

  // A pool known by SRV names never switches to addresses (that would remap every key).
  const MemberState named = next_members({}, srv({0, 1}), discover(5));
  CHECK(next_members(named, ips({"10.0.0.1"}), discover(5)) == named);
}

namespace {

// A DNS response builder for the parser tests.
struct Message {
  std::vector<unsigned char> bytes;
  void u16(unsigned v) {
    bytes.push_back(static_cast<unsigned char>(v >> 8));
    bytes.push_back(static_cast<unsigned char>(v));
  }
  void u32(std::uint32_t v) {
    u16(v >> 16);
    u16(v & 0xffff);
  }
  void name(const std::string& dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      auto dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      bytes.push_back(static_cast<unsigned char>(dot - start));
      bytes.insert(bytes.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
      start = dot + 1;
    }
    bytes.push_back(0);
  }
  void pointer(unsigned offset) { u16(0xc000 | offset); }
  // A record header at the question name (offset 12); the caller appends `length` bytes of data.
  void record(unsigned type, unsigned length) {
    pointer(12);
    u16(type);
    u16(1);  // IN
    u32(30);
    u16(length);
  }
};

Message response(unsigned qtype, unsigned answers) {
  Message m;
  m.u16(0x1234);
  m.u16(0x8180);
  m.u16(1);
  m.u16(answers);
  m.u16(0);
  m.u16(0);
  m.name("_memcache._tcp.mc.default.svc.cluster.local");
  m.u16(qtype);
  m.u16(1);
  return m;
}

}  // namespace

TEST_CASE("discovery: DNS answers are parsed", "[discovery]") {
  SECTION("SRV with compressed targets, CNAME skipped") {
    Message m = response(33, 3);
    // SRV 0 50 11211 mc-1.<pointer to "mc.default.svc.cluster.local" in the question>
    m.record(33, 6 + 1 + 4 + 2);
    m.u16(0);
    m.u16(50);
    m.u16(11211);
    m.bytes.push_back(4);
    for (char c : std::string("mc-1")) m.bytes.push_back(static_cast<unsigned char>(c));
    m.pointer(12 + 15);  // after "_memcache" (1 + 9 bytes) and "_tcp" (1 + 4): "mc.default..."
    // CNAME (ignored)
    m.record(5, 2);
    m.pointer(12);
    // SRV with an uncompressed target
    const std::string target = "mc-0.mc.default.svc.cluster.local";
    m.record(33, 6 + target.size() + 2);
    m.u16(0);
    m.u16(50);
    m.u16(11211);
    m.name(target);
    DnsAnswer a;
    std::string error;
    REQUIRE(parse_dns_response(m.bytes, a, &error));
    CHECK(a.srv_targets == std::vector<std::string>{"mc-1.mc.default.svc.cluster.local", target});
    CHECK(a.addresses.empty());
  }
  SECTION("A and AAAA") {
    Message m = response(1, 2);
    m.record(1, 4);
    for (unsigned char b : {10, 0, 0, 7}) m.bytes.push_back(b);
    m.record(28, 16);
    for (int i = 0; i < 15; ++i) m.bytes.push_back(i == 0 ? 0xfd : 0);
    m.bytes.push_back(1);
    DnsAnswer a;
    REQUIRE(parse_dns_response(m.bytes, a, nullptr));
    REQUIRE(a.addresses.size() == 2);
    CHECK(a.addresses[0].to_string() == "10.0.0.7");
    CHECK(a.addresses[1].to_string() == "fd00::1");
  }
  SECTION("the root target means no service") {
    Message m = response(33, 1);
    m.record(33, 7);
    m.u16(0);
    m.u16(0);
    m.u16(0);
    m.bytes.push_back(0);
    DnsAnswer a;
    REQUIRE(parse_dns_response(m.bytes, a, nullptr));
    CHECK(a.empty());
  }
  SECTION("malformed") {
    DnsAnswer a;
    std::string error;
    CHECK_FALSE(parse_dns_response(std::vector<unsigned char>{1, 2, 3}, a, &error));
    CHECK(error == "malformed DNS response: shorter than a header");
    Message m = response(1, 1);
    m.record(1, 4);
    m.bytes.push_back(10);  // 1 of 4 bytes
    CHECK_FALSE(parse_dns_response(m.bytes, a, &error));
    CHECK(error == "malformed DNS response: truncated record data");
    Message n = response(1, 2);  // says 2 answers, has none
    CHECK_FALSE(parse_dns_response(n.bytes, a, &error));
    CHECK(error == "malformed DNS response: truncated answer record");
    Message p = response(1, 1);
    p.record(1, 3);
    for (int i = 0; i < 3; ++i) p.bytes.push_back(1);
    CHECK_FALSE(parse_dns_response(p.bytes, a, &error));
    CHECK(error == "malformed DNS response: an A record is not 4 bytes long");
  }
}

TEST_CASE("discovery: SRV names", "[discovery]") {
  DiscoverConfig d = discover();
  CHECK(srv_name(d) == "_memcache._tcp.mycache-memcached.default.svc.cluster.local");
  d.port_name.clear();
  CHECK(srv_name(d) == "mycache-memcached.default.svc.cluster.local");
}

TEST_CASE("discovery: expand_discovered_pools fills the servers of discovered pools", "[discovery]") {
  const config::Config in = config::parse_config(R"j({
    "pools": {
      "A": {"discover": {"service": "mycache-memcached.default.svc.cluster.local", "port_name": "memcache"}},
      "B": {"servers": ["h:1"]},
      "C": {"discover": {"service": "other.default.svc.cluster.local"}}
    },
    "route": "PoolRoute|A"})j",
                                                 "c.json");
  CHECK(discovered_pools(in).size() == 2);
  CHECK(discovered_pools(in).at("C").service == "other.default.svc.cluster.local");

  std::map<std::string, std::vector<ServerAddress>> members;
  members["A"] = next_members({}, srv({0, 1, 2}), discover()).members;
  members["C"] = {config::parse_server_address("10.0.0.1:11211")};
  members["Z"] = {config::parse_server_address("ignored:1")};
  const config::Config out = expand_discovered_pools(in, members);
  CHECK(texts(out.pools.at("A").servers) == pods(3));
  CHECK(out.pools.at("A").discover.has_value());
  CHECK(texts(out.pools.at("B").servers) == std::vector<std::string>{"h:1"});
  CHECK(texts(out.pools.at("C").servers) == std::vector<std::string>{"10.0.0.1:11211"});
  CHECK(out.pools.count("Z") == 0);
  CHECK(out.text == in.text);
  CHECK(out.source == in.source);
  CHECK(in.pools.at("A").servers.empty());  // the input is unchanged

  // Expanding again replaces the servers.
  members["A"] = next_members({}, srv({0, 1, 2, 3}), discover()).members;
  CHECK(expand_discovered_pools(out, members).pools.at("A").servers.size() == 4);

  members.erase("C");
  try {
    expand_discovered_pools(in, members);
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) == "c.json: pools.C.discover: no members found for other.default.svc.cluster.local yet");
    CHECK(e.json_path() == "pools.C.discover");
  }
  members["C"] = {};
  const std::map<std::string, std::string> errors = {{"C", "SRV other.default.svc.cluster.local: NXDOMAIN"}};
  try {
    expand_discovered_pools(in, members, &errors);
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "c.json: pools.C.discover: no members found for other.default.svc.cluster.local yet "
          "(SRV other.default.svc.cluster.local: NXDOMAIN)");
  }
}

namespace {

// A scripted DNS for ServiceDiscovery, and a recorder of its callbacks.
class FakeDns {
 public:
  void set(std::optional<DnsAnswer> answer, std::string error = "") {
    std::lock_guard<std::mutex> lock(mutex_);
    answer_ = std::move(answer);
    error_ = std::move(error);
  }
  std::optional<DnsAnswer> lookup(const DiscoverConfig&, std::string* error) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++lookups_;
    if (!answer_) *error = error_;
    return answer_;
  }
  int lookups() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lookups_;
  }

 private:
  std::mutex mutex_;
  std::optional<DnsAnswer> answer_;
  std::string error_;
  int lookups_ = 0;
};

class Events {
 public:
  void add(std::string event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }
  // Waits until `count` events were recorded (or 5 s), then returns them all.
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return events_.size() >= count; });
    return events_;
  }
  std::vector<std::string> now() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

std::string joined(const std::vector<ServerAddress>& members) {
  std::string out;
  for (const auto& m : members) out += (out.empty() ? "" : ",") + m.host.substr(0, m.host.find('.'));
  return out;
}

config::Config fast_config(const std::string& grace = "3") {
  return config::parse_config(R"j({"pools": {"A": {"discover": {
      "service": "mycache-memcached.default.svc.cluster.local", "port_name": "memcache",
      "refresh_ms": 100, "scale_down_grace": )j" + grace + R"j(}}, "B": {"servers": ["h:1"]}},
      "route": "PoolRoute|A"})j",
                              "c.json");
}

}  // namespace

TEST_CASE("discovery: ServiceDiscovery refreshes in the background", "[discovery]") {
  FakeDns dns;
  Events events;
  dns.set(srv({0, 1, 2}));
  ServiceDiscovery sd([&](const std::string& pool, std::vector<ServerAddress> m) { events.add(pool + ":" + joined(m)); },
                      [&](const std::string& pool, const std::string& message) { events.add(pool + "!" + message); },
                      [&](const DiscoverConfig& d, std::string* error) { return dns.lookup(d, error); });
  const config::Config cfg = fast_config("1");

  // Start-up: resolve synchronously, expand, watch.
  std::map<std::string, std::string> errors;
  auto members = sd.resolve_pools(cfg, &errors);
  CHECK(errors.empty());
  REQUIRE(members.count("A") == 1);
  CHECK(members.count("B") == 0);
  CHECK(texts(members.at("A")) == pods(3));
  CHECK(expand_discovered_pools(cfg, members).pools.at("A").servers.size() == 3);
  sd.watch(cfg, members);
  CHECK(sd.members() == members);

  // Same answer: no callback. Scale-up: one.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(events.now().empty());
  dns.set(srv({0, 1, 2, 3}));
  CHECK(events.wait_for(1) == std::vector<std::string>{
                                  "A:mycache-memcached-0,mycache-memcached-1,mycache-memcached-2,mycache-memcached-3"});
  CHECK(texts(sd.members().at("A")) == pods(4));

  // DNS failure: reported once, list kept.
  dns.set(std::nullopt, "SRV _memcache._tcp.mycache-memcached.default.svc.cluster.local: NXDOMAIN");
  const int before = dns.lookups();
  auto seen = events.wait_for(2);
  while (dns.lookups() < before + 3) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  seen = events.now();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1] == "A!SRV _memcache._tcp.mycache-memcached.default.svc.cluster.local: NXDOMAIN");
  CHECK(texts(sd.members().at("A")) == pods(4));

  // Recovery with a scale-down (grace 1): the change, then the cleared message.
  dns.set(srv({0, 1, 2}));
  seen = events.wait_for(4);
  REQUIRE(seen.size() >= 4);
  CHECK(seen[2] == "A:mycache-memcached-0,mycache-memcached-1,mycache-memcached-2");
  CHECK(seen[3] == "A!");

  // resolve_pools now answers from the watched state, without a lookup of its own... (the thread may look
  // up meanwhile, so only the result is checked)
  CHECK(texts(sd.resolve_pools(cfg).at("A")) == pods(3));

  sd.stop();
  const auto final_events = events.now().size();
  dns.set(srv({0}));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(events.now().size() == final_events);  // nothing after stop()
}

TEST_CASE("discovery: ServiceDiscovery watch() and start-up without members", "[discovery]") {
  FakeDns dns;
  Events events;
  dns.set(std::nullopt, "SRV x: no answer (timeout, SERVFAIL or unreachable name server)");
  ServiceDiscovery sd([&](const std::string& pool, std::vector<ServerAddress> m) { events.add(pool + ":" + joined(m)); },
                      [&](const std::string& pool, const std::string& message) { events.add(pool + "!" + message); },
                      [&](const DiscoverConfig& d, std::string* error) { return dns.lookup(d, error); });
  const config::Config cfg = fast_config();

  std::map<std::string, std::string> errors;
  auto members = sd.resolve_pools(cfg, &errors);
  CHECK(members.empty());
  CHECK(errors.at("A") == "SRV x: no answer (timeout, SERVFAIL or unreachable name server)");
  CHECK_THROWS_WITH(expand_discovered_pools(cfg, members, &errors),
                    "c.json: pools.A.discover: no members found for mycache-memcached.default.svc.cluster.local yet "
                    "(SRV x: no answer (timeout, SERVFAIL or unreachable name server))");

  std::string error;
  CHECK(sd.resolve_now(*cfg.pools.at("A").discover, &error).empty());
  CHECK(error == "SRV x: no answer (timeout, SERVFAIL or unreachable name server)");

  // Watched without members: looked up at once; the members appear when DNS answers.
  sd.watch(cfg, members);
  CHECK(events.wait_for(1).at(0) == "A!SRV x: no answer (timeout, SERVFAIL or unreachable name server)");
  CHECK(sd.members().empty());
  dns.set(srv({1, 0}));
  auto seen = events.wait_for(3);
  REQUIRE(seen.size() >= 3);
  CHECK(seen[1] == "A:mycache-memcached-0,mycache-memcached-1");
  CHECK(seen[2] == "A!");

  // A reload that drops the pool: no more lookups of it.
  sd.watch(config::parse_config(R"j({"pools": {"B": {"servers": ["h:1"]}}, "route": "PoolRoute|B"})j", "c.json"),
           {});
  CHECK(sd.members().empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int lookups = dns.lookups();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(dns.lookups() == lookups);
}

TEST_CASE("a pool known by SRV names never falls back to addresses", "[discovery]") {
  mcrelay::config::DiscoverConfig d;
  d.service = "mycache-memcached.default.svc.cluster.local";
  d.port = 11211;
  d.refresh_ms = 1000;
  d.scale_down_grace = 3;
  mcrelay::discovery::DnsAnswer srv;
  for (int i = 0; i < 3; ++i) {
    srv.srv_targets.push_back("mycache-memcached-" + std::to_string(i) + ".mycache-memcached.default.svc.cluster.local.");
  }
  std::string warning;
  auto named = mcrelay::discovery::next_members({}, srv, d, &warning);
  REQUIRE(named.members.size() == 3);
  mcrelay::discovery::DnsAnswer only_a;
  only_a.addresses.push_back(boost::asio::ip::make_address("10.0.0.7"));
  auto after = mcrelay::discovery::next_members(named, only_a, d, &warning);
  CHECK(after == named);
  CHECK_FALSE(warning.empty());
}
