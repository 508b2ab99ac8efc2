// DestinationMap's bookkeeping: one destination per server and settings, shared across pools and reloads,
// dropped when a config no longer names it; twemproxy pools' ejection limits set on the shared health.
// No socket is opened: destinations connect on first use, and nothing is sent here.
#include <catch2/catch.hpp>

#include "config/pool_config.hpp"
#include "config/server_address.hpp"
#include "proxy/destination_map.hpp"
#include "proxy/worker.hpp"
#include "tests/proxy/fake_server_context.hpp"

using namespace mcrelay;

namespace {

struct Rig {
  Options options;
  test::FakeServerContext server;
  Worker worker{0, server, options};  // passed on to the connections; never started
  WorkerStats stats;
  boost::asio::io_context io;
  DestinationMap map{worker, server, options, stats, io, 0};
};

config::ServerAddress server(std::string_view text) { return config::parse_server_address(text); }

std::vector<std::string> names(const std::vector<std::shared_ptr<Destination>>& dests) {
  std::vector<std::string> out;
  for (const auto& d : dests) out.push_back(d->name());
  return out;
}

}  // namespace

TEST_CASE("one destination per server and settings, shared by the pools that name it", "[destination_map]") {
  Rig rig;
  config::PoolConfig a, b, slow;
  slow.server_timeout_ms = 5000;
  rig.map.begin_config();
  auto d1 = rig.map.get(server("10.0.0.1:11211"), a);
  CHECK(rig.map.get(server("10.0.0.1:11211"), b) == d1);  // same settings: same connections
  auto d1_slow = rig.map.get(server("10.0.0.1:11211"), slow);
  CHECK(d1_slow != d1);  // another timeout: a destination of its own
  auto d2 = rig.map.get(server("10.0.0.2:11211"), a);
  rig.map.end_config();
  CHECK(d1->name() == "10.0.0.1:11211");
  // `stats <group>` asks each server once, whatever its timeouts.
  CHECK(names(rig.map.server_destinations()) == std::vector<std::string>{"10.0.0.1:11211", "10.0.0.2:11211"});
  // Both workers' views of a server share one health entry.
  auto health = rig.server.health().all();
  CHECK(health.size() == 2);
  CHECK(health.count("10.0.0.1:11211") == 1);
}

TEST_CASE("a reload keeps the destinations it names and drops the others", "[destination_map]") {
  Rig rig;
  config::PoolConfig pool;
  rig.map.begin_config();
  auto kept = rig.map.get(server("10.0.0.1:11211"), pool);
  std::weak_ptr<Destination> dropped = rig.map.get(server("10.0.0.2:11211"), pool);
  rig.map.end_config();

  rig.map.begin_config();
  CHECK(rig.map.get(server("10.0.0.1:11211"), pool) == kept);  // same connections across the reload
  rig.map.end_config();
  CHECK(names(rig.map.server_destinations()) == std::vector<std::string>{"10.0.0.1:11211"});
  CHECK(dropped.expired());  // no tree held it: closed and gone

  SECTION("a config whose trees failed to build drops nothing") {
    rig.map.begin_config();
    // ... the router threw before end_config()
    CHECK(names(rig.map.server_destinations()) == std::vector<std::string>{"10.0.0.1:11211"});
  }
}

TEST_CASE("a twemproxy pool's ejection limits go to the server's shared health", "[destination_map]") {
  Rig rig;
  config::PoolConfig pool;
  pool.raw = nlohmann::json::parse(R"({"server_failure_limit": 2, "server_retry_timeout": 3000})");  // as loaded
  rig.map.begin_config();
  rig.map.get(server("10.0.0.9:11211"), pool);
  rig.map.end_config();
  ServerHealth& h = rig.server.health().get("10.0.0.9:11211", "10.0.0.9", 11211);
  CHECK(h.retry_ms() == 3000);
  CHECK_FALSE(h.record_failure(Result::timeout));
  CHECK(h.record_failure(Result::timeout));  // marked down at the pool's limit, not the proxy's (3)
}

TEST_CASE("closing the map closes its destinations and starts nothing new", "[destination_map]") {
  Rig rig;
  config::PoolConfig pool;
  rig.map.begin_config();
  auto d = rig.map.get(server("10.0.0.1:11211"), pool);
  rig.map.end_config();
  rig.map.close_all();
  ServerHealth& h = rig.server.health().get("10.0.0.1:11211", "10.0.0.1", 11211);
  rig.map.start_probe(h);  // stopping: no probe, so no connection and no timer on the loop
  CHECK(rig.io.poll() == 0);
}
