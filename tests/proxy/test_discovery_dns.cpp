// Service discovery against a real DNS server: dnsmasq on a free port of 127.0.0.1, serving SRV records
// (--srv-host, on its command line: changing them means restarting it on the same port) and A/AAAA
// records (an --addn-hosts file, re-read on SIGHUP). Skipped, with a warning, when dnsmasq is not installed.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "config/config.hpp"
#include "proxy/discovery.hpp"
#include "proxy/discovery_config.hpp"

extern char** environ;

using namespace mcrelay;
using mcrelay::config::DiscoverConfig;
using mcrelay::config::ServerAddress;

namespace {

std::optional<std::string> find_dnsmasq() {
  std::vector<std::string> dirs = {"/usr/sbin", "/sbin", "/usr/local/sbin"};
  if (const char* path = std::getenv("PATH")) {
    std::string p(path);
    for (std::size_t start = 0; start <= p.size();) {
      auto colon = p.find(':', start);
      if (colon == std::string::npos) colon = p.size();
      if (colon > start) dirs.push_back(p.substr(start, colon - start));
      start = colon + 1;
    }
  }
  for (const auto& dir : dirs) {
    const std::string candidate = dir + "/dnsmasq";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both).
std::uint16_t free_port() {
  boost::asio::io_context io;
  for (int attempt = 0; attempt < 50; ++attempt) {
    boost::asio::ip::udp::socket udp(io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    const auto port = udp.local_endpoint().port();
    boost::system::error_code ec;
    boost::asio::ip::tcp::acceptor tcp(io);
    tcp.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) tcp.bind(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return port;
  }
  throw std::runtime_error("no free port");
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "mcrelay_dns_test_XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// One dnsmasq process: `srv_hosts` as --srv-host values, A/AAAA records from `hosts_file`.
class Dnsmasq {
 public:
  Dnsmasq(std::string binary, std::string hosts_file, std::string log_file)
      : binary_(std::move(binary)), hosts_file_(std::move(hosts_file)), log_file_(std::move(log_file)) {}
  ~Dnsmasq() { stop(); }

  std::uint16_t port() const { return port_; }
  boost::asio::ip::udp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }

  // Starts dnsmasq (on `port`, or a free one) and waits until it answers.
  void start(const std::vector<std::string>& srv_hosts, std::uint16_t port = 0) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = port ? port : free_port();
      if (spawn(srv_hosts) && wait_ready()) return;
      stop();
      if (port) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the same port: retry later
    }
    FAIL("dnsmasq did not start; see " << log_file_);
  }

  // Replaces the SRV records: dnsmasq re-reads hosts files on SIGHUP, but not --srv-host.
  void restart(const std::vector<std::string>& srv_hosts) {
    stop();
    start(srv_hosts, port_);
  }

  void reload_hosts() { ::kill(pid_, SIGHUP); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  bool spawn(const std::vector<std::string>& srv_hosts) {
    std::vector<std::string> args = {binary_,
                                     "--no-daemon",
                                     "--conf-file=/dev/null",
                                     "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--pid-file=",
                                     "--user=",
                                     "--local=/test/",  // unknown names under .test: NXDOMAIN, not REFUSED
                                     "--local-ttl=0",
                                     "--addn-hosts=" + hosts_file_,
                                     "--log-queries"};
    for (const auto& s : srv_hosts) args.push_back("--srv-host=" + s);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = ::posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
    return rc == 0;
  }

  // Until a query for anything under .test gets an answer (NXDOMAIN is one) or dnsmasq exits.
  bool wait_ready() {
    DiscoverConfig probe;
    probe.service = "ready-probe.test";
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::string error;
      discovery::lookup(probe, endpoint(), &error);
      if (error.find("NXDOMAIN") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string binary_, hosts_file_, log_file_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

const std::string kService = "mc.default.svc.test";

// --srv-host values: pod `ordinal` of StatefulSet "mc" behind Service kService, at `owner` (the SRV name).
std::string srv_host(const std::string& owner, unsigned ordinal, unsigned priority = 0) {
  return owner + ",mc-" + std::to_string(ordinal) + "." + kService + ",11211," + std::to_string(priority);
}
std::vector<std::string> srv_hosts(std::initializer_list<unsigned> ordinals) {
  std::vector<std::string> out;
  for (unsigned o : ordinals) out.push_back(srv_host("_memcache._tcp." + kService, o));
  return out;
}

std::vector<std::string> pods(unsigned count, std::uint16_t port = 11211) {
  std::vector<std::string> out;
  for (unsigned i = 0; i < count; ++i) out.push_back("mc-" + std::to_string(i) + "." + kService + ":" + std::to_string(port));
  return out;
}

std::vector<std::string> texts(const std::vector<ServerAddress>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.text);
  return out;
}

void write_hosts(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::trunc) << contents;
}

DiscoverConfig discover(const std::string& service, const std::string& port_name = "memcache", unsigned grace = 2) {
  DiscoverConfig d;
  d.service = service;
  d.port_name = port_name;
  d.refresh_ms = 100;
  d.scale_down_grace = grace;
  return d;
}

// on_change lists, in order.
class Changes {
 public:
  void add(std::vector<ServerAddress> members) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lists_.push_back(texts(members));
    }
    cv_.notify_all();
  }
  // Waits (up to 10 s) until the latest list is `expected`; returns whether it became so.
  bool wait_for(const std::vector<std::string>& expected) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !lists_.empty() && lists_.back() == expected; });
  }
  std::vector<std::vector<std::string>> all() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lists_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::vector<std::string>> lists_;
};

}  // namespace

TEST_CASE("discovery: against dnsmasq", "[discovery][dns]") {
  const auto binary = find_dnsmasq();
  if (!binary) {
    WARN("dnsmasq is not installed (Debian: dnsmasq-base); skipping the DNS tests");
    return;
  }
  TempDir dir;
  const std::string hosts = dir.file("hosts");
  write_hosts(hosts, "10.0.0.10 plain.default.svc.test\n10.0.0.9 plain.default.svc.test\n"
                     "fd00::1 plain.default.svc.test\n");
  Dnsmasq dns(*binary, hosts, dir.file("dnsmasq.log"));
  std::vector<std::string> records = {
      srv_host("_memcache._tcp." + kService, 2), srv_host("_memcache._tcp." + kService, 0, 10),
      srv_host("_memcache._tcp." + kService, 1, 5),
      // The bare Service name (no port_name): a gap at 1.
      srv_host(kService, 2), srv_host(kService, 0)};
  dns.start(records);
  INFO("dnsmasq on 127.0.0.1:" << dns.port() << ", log " << dir.file("dnsmasq.log"));

  ServiceDiscovery resolver([](const std::string&, std::vector<ServerAddress>) {}, {}, dns.endpoint());

  SECTION("SRV targets ordered by ordinal, whatever their order and priorities") {
    std::string error, warning = "x";
    auto members = resolver.resolve_now(discover(kService), &error, &warning);
    CHECK(error.empty());
    CHECK(warning.empty());
    CHECK(texts(members) == pods(3));

    DiscoverConfig d = discover(kService, "");  // SRV at the Service name itself
    d.port = 5001;
    members = resolver.resolve_now(d, &error);
    CHECK(error.empty());
    CHECK(texts(members) == pods(3, 5001));  // mc-1 is synthesized at its index
  }

  SECTION("A/AAAA fallback when there are no SRV records") {
    std::string error;
    const auto members = resolver.resolve_now(discover("plain.default.svc.test"), &error);
    CHECK(error.empty());
    CHECK(texts(members) == std::vector<std::string>{"10.0.0.9:11211", "10.0.0.10:11211", "[fd00::1]:11211"});

    // The hosts file changes; dnsmasq re-reads it on SIGHUP; the background thread notices.
    Changes changes;
    ServiceDiscovery sd([&](const std::string&, std::vector<ServerAddress> m) { changes.add(std::move(m)); }, {},
                        dns.endpoint());
    const config::Config cfg = config::parse_config(
        R"j({"pools": {"P": {"discover": {"service": "plain.default.svc.test", "refresh_ms": 100,
             "scale_down_grace": 0}}}, "route": "PoolRoute|P"})j",
        "c.json");
    std::map<std::string, std::string> errors;
    const auto initial = sd.resolve_pools(cfg, &errors);
    CHECK(errors.empty());
    REQUIRE(initial.count("P") == 1);
    CHECK(texts(initial.at("P")) == texts(members));
    sd.watch(cfg, initial);
    write_hosts(hosts, "10.0.0.10 plain.default.svc.test\n10.0.0.8 plain.default.svc.test\n");
    dns.reload_hosts();
    CHECK(changes.wait_for({"10.0.0.8:11211", "10.0.0.10:11211"}));
  }

  SECTION("a large StatefulSet: the answer does not fit in 512 bytes (truncated UDP, then TCP)") {
    std::vector<std::string> many;
    for (unsigned i = 40; i-- > 0;) many.push_back(srv_host("_memcache._tcp." + kService, i));
    dns.restart(many);
    std::string error;
    const auto members = resolver.resolve_now(discover(kService), &error);
    CHECK(error.empty());
    CHECK(texts(members) == pods(40));
  }

  SECTION("errors") {
    std::string error;
    CHECK(resolver.resolve_now(discover("nothing.default.svc.test"), &error).empty());
    CHECK(error == "no SRV records at _memcache._tcp.nothing.default.svc.test (NXDOMAIN) and no A/AAAA records at "
                   "nothing.default.svc.test (NXDOMAIN)");

    // Nothing listens there: the query fails (at once: the port is unreachable), nothing is invented.
    dns.stop();
    const auto started = std::chrono::steady_clock::now();
    CHECK(resolver.resolve_now(discover(kService), &error).empty());
    CHECK(error == "SRV _memcache._tcp." + kService + ": no answer (timeout, SERVFAIL or unreachable name server)");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
  }

  SECTION("scale-up from 3 to 4 and back down, live") {
    Changes changes;
    std::vector<std::string> problems;
    std::mutex problems_mutex;
    ServiceDiscovery sd([&](const std::string&, std::vector<ServerAddress> m) { changes.add(std::move(m)); },
                        [&](const std::string&, const std::string& message) {
                          std::lock_guard<std::mutex> lock(problems_mutex);
                          problems.push_back(message);
                        },
                        dns.endpoint());
    const config::Config cfg = config::parse_config(
        R"j({"pools": {"A": {"discover": {"service": "mc.default.svc.test", "port_name": "memcache",
             "refresh_ms": 100, "scale_down_grace": 3}}}, "route": "PoolRoute|A"})j",
        "c.json");
    std::map<std::string, std::string> errors;
    const auto initial = sd.resolve_pools(cfg, &errors);
    REQUIRE(initial.count("A") == 1);
    CHECK(texts(initial.at("A")) == pods(3));
    CHECK(texts(expand_discovered_pools(cfg, initial).pools.at("A").servers) == pods(3));
    sd.watch(cfg, initial);

    dns.restart(srv_hosts({3, 1, 0, 2}));
    REQUIRE(changes.wait_for(pods(4)));  // appended: the first three keep their indices
    CHECK(changes.all().size() == 1);

    // Back to 3: the list shrinks only after 3 refreshes without mc-3 (dnsmasq being restarted meanwhile
    // is a lookup error, which keeps the list and does not count).
    const auto shrinking = std::chrono::steady_clock::now();
    dns.restart(srv_hosts({0, 1, 2}));
    REQUIRE(changes.wait_for(pods(3)));
    CHECK(std::chrono::steady_clock::now() - shrinking >= std::chrono::milliseconds(200));
    CHECK(changes.all().size() == 2);
    sd.stop();
    std::lock_guard<std::mutex> lock(problems_mutex);
    for (const auto& p : problems) CHECK((p.empty() || p.find("no answer") != std::string::npos));
  }
}
