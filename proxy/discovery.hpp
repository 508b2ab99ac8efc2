#pragma once
// ServiceDiscovery: the members of pools given as {"discover": {"service": ...}} (config/pool_config.hpp),
// looked up in DNS (a Kubernetes headless Service in front of a memcached StatefulSet) and kept current.
//
// Threads. ServiceDiscovery owns ONE background thread that does every periodic lookup with the blocking
// glibc resolver (res_nquery on a private res_state per lookup: /etc/resolv.conf is re-read every time, no
// search list is applied, so `service` must be fully qualified). No worker thread ever waits on DNS. The
// callbacks run on that thread, never with a lock held: on_change must hand the list over to the control
// thread (e.g. post to its io_context) and return. resolve_now() and resolve_pools() run the same lookup
// synchronously on the CALLING thread (meant for start-up and reloads on the control thread). watch(),
// members() and stop() may be called from any thread. Each query times out after 2 s with 2 attempts per
// name server, so a lookup against an unreachable DNS takes a few seconds; stop() (and the destructor) waits
// for a lookup in progress.
////
// The lookup itself is in proxy/discovery_dns.hpp, the member list computed from its answer (StatefulSet
// ordinals, gaps, delayed shrinking) in proxy/discovery_members.hpp.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "config/config.hpp"
#include "config/pool_config.hpp"
#include "config/server_address.hpp"
#include "proxy/discovery_dns.hpp"
#include "proxy/discovery_members.hpp"

namespace mcrelay {

class ServiceDiscovery {
 public:
  using ChangeCallback = std::function<void(const std::string& pool, std::vector<config::ServerAddress> members)>;
  // `message` is a lookup failure (the last good list is kept) or a warning about the list (see the header
  // comment); "" means the pool's problem is gone. Called only when a pool's message changes.
  using ErrorCallback = std::function<void(const std::string& pool, const std::string& message)>;
  // The lookup used; tests pass a fake. Must be callable on any thread.
  using LookupFunction =
      std::function<std::optional<discovery::DnsAnswer>(const config::DiscoverConfig&, std::string* error)>;

  // Real DNS; `nameserver` overrides /etc/resolv.conf (IPv4 only; tests). The thread starts here and
  // idles until watch().
  explicit ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error = {},
                            std::optional<boost::asio::ip::udp::endpoint> nameserver = std::nullopt);
  ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error, LookupFunction lookup);
  ~ServiceDiscovery();  // stop()
  ServiceDiscovery(const ServiceDiscovery&) = delete;
  ServiceDiscovery& operator=(const ServiceDiscovery&) = delete;

  // A fresh lookup of `discover` on the calling thread (no hysteresis; gaps are filled). Empty with
  // `*error` set when the lookup failed; `*warning` (if given) as for next_members.
  std::vector<config::ServerAddress> resolve_now(const config::DiscoverConfig& discover, std::string* error,
                                                 std::string* warning = nullptr) const;

  // The members of every discovered pool of `config`, for expand_discovered_pools: a pool watched now
  // with the same DiscoverConfig gets its current list (no DNS query); others get resolve_now(). A pool
  // with no members is left out and its error (the lookup's) is put in `*errors` (if given).
  std::map<std::string, std::vector<config::ServerAddress>> resolve_pools(
      const config::Config& config, std::map<std::string, std::string>* errors = nullptr) const;

  // Sets the pools to keep current (replacing the previous set): the discovered pools of `config`, each
  // starting from current[pool] (the list it serves now, e.g. from resolve_pools). A pool already watched
  // with the same DiscoverConfig and the same list keeps its state (absence counters, timer). A pool with a
  // list is next looked up refresh_ms later; a pool without one at once. on_change fires only for lists
  // that differ from the one given here. Safe from any thread.
  void watch(const config::Config& config,
             const std::map<std::string, std::vector<config::ServerAddress>>& current);

  // The current list of every watched pool (pools without members yet are left out).
  std::map<std::string, std::vector<config::ServerAddress>> members() const;

  // Stops and joins the thread (waits for a lookup in progress); no callback runs after it returns.
  // Idempotent. Must not be called from a callback.
  void stop();

 private:
  struct Pool {
    config::DiscoverConfig discover;
    discovery::MemberState state;
    std::string message;  // the last message given to on_error ("" = none)
    std::chrono::steady_clock::time_point due;
    std::uint64_t generation = 0;  // changes when watch() resets the pool
  };

  void run();

  ChangeCallback on_change_;
  ErrorCallback on_error_;
  LookupFunction lookup_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Pool> pools_;
  std::uint64_t next_generation_ = 1;
  bool stopping_ = false;
  std::mutex stop_mutex_;
  std::thread thread_;
};

}  // namespace mcrelay