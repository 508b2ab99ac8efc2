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
//
// Lookup of one pool (DiscoverConfig d):
//   1. SRV at "_<d.port_name>._tcp.<d.service>", or at "<d.service>" itself when port_name is empty
//      (CoreDNS answers that with one record per endpoint and port of a headless Service). The targets are
//      the pods' stable names (mycache-memcached-2.mycache-memcached.default.svc.cluster.local); SRV
//      priorities, weights and ports are ignored: every member uses d.port.
//   2. Only if there are no SRV records (NXDOMAIN or no data), and the pool was never known by SRV names
//      (it never switches from names to addresses, which would remap every key): A and AAAA records at
//      d.service. The members
//      are then the IP addresses ("10.0.0.7:11211"), ordered numerically (IPv4 before IPv6). Ordinals are
//      unknown in this mode: a member's index depends on the other members' addresses, so a pod that comes
//      back with a new IP, or a scale-up, moves keys between many members. Give the Service a named port
//      and set port_name (or use a StatefulSet, whose pods have names) to get stable indices.
//   A failure (NXDOMAIN on both, timeout, SERVFAIL, REFUSED) or an empty answer keeps the last good list
//   and is reported through on_error.
//
// Member list (next_members, pure). With SRV targets that all follow one StatefulSet pattern
// "<set>-<ordinal>.<rest>" (ordinal: decimal digits without leading zeros, the first label's trailing
// "-<digits>"; a first label that is a dashed IP address, as CoreDNS names pods without a hostname, has no
// ordinal), index = ordinal:
//   - members are HOSTNAMES "<set>-<i>.<rest>:<port>" (mcrelay resolves them on every reconnect, so a
//     restarted pod with a new IP keeps its index and needs no pool change);
//   - gaps: a missing ordinal below the highest present one keeps a synthesized name (same pattern) at its
//     index, so the others keep theirs (that member is simply down);
//   - growth is immediate: a new highest ordinal appends at its index (Ch3 then moves only ~1/n of keys);
//   - shrinking is delayed: the list only loses its highest indices once each of them has been missing for
//     `scale_down_grace` consecutive refreshes (0: at once), because a restarting pod disappears from DNS
//     for a while when the Service does not publish not-ready addresses;
//   - the list is at most kMaxDiscoveredMembers long.
// Otherwise (targets of several StatefulSets, names without ordinals, an ordinal >= kMaxDiscoveredMembers)
// the members are the distinct targets ordered by name, with a warning (reported through on_error once per
// change of message). In the two unordered modes (names without usable ordinals, IP addresses) a member
// missing from DNS stays in the list until it has been missing for scale_down_grace consecutive refreshes.
// Deterministic: the same DNS answers in the same state give the same list, whatever the record order.
// Limitation: a StatefulSet with spec.ordinals.start > 0 gets down placeholders for ordinals 0..start-1.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "config/config.hpp"
#include "config/pool_config.hpp"
#include "config/server_address.hpp"

namespace mcrelay {

namespace discovery {

inline constexpr std::size_t kMaxDiscoveredMembers = 1024;

// What one lookup found (record order as received; duplicates allowed).
struct DnsAnswer {
  std::vector<std::string> srv_targets;               // SRV targets (the root "." target is dropped)
  std::vector<boost::asio::ip::address> addresses;    // A/AAAA records
  bool empty() const { return srv_targets.empty() && addresses.empty(); }
};

// A pool's member list and, parallel to it, how many consecutive refreshes each member has been missing
// from DNS (0: present in the last answer).
struct MemberState {
  std::vector<config::ServerAddress> members;
  std::vector<unsigned> absent;
  bool operator==(const MemberState&) const = default;
};

// "<set>-<ordinal>.<rest>" split: prefix "mycache-memcached-", ordinal 2,
// suffix ".mycache-memcached.default.svc.cluster.local". The name is taken lowercase, without trailing dot.
struct OrdinalName {
  std::string prefix;
  unsigned ordinal = 0;
  std::string suffix;
};
std::optional<OrdinalName> parse_ordinal_name(std::string_view host);
std::string ordinal_host(const OrdinalName& pattern, unsigned ordinal);  // prefix + ordinal + suffix

// The next state of a pool whose DNS answer is `answer` (see the header comment). `previous` is the current
// state ({} for none; a state built from a plain list is fine: absent counters all 0). An empty answer
// returns `previous` unchanged (the caller reports it as an error). `*warning` (if given) is set to the
// reason the list is not ordered by ordinal, or "".
MemberState next_members(const MemberState& previous, const DnsAnswer& answer, const config::DiscoverConfig& discover,
                         std::string* warning = nullptr);

// Parses a DNS response message (as res_nquery returns it) and collects the SRV targets and A/AAAA
// addresses of its answer section (other record types, e.g. CNAME, are skipped). Returns false with
// `*error` set when the message is malformed.
bool parse_dns_response(std::span<const unsigned char> message, DnsAnswer& out, std::string* error);

// The SRV name looked up for `discover`: "_<port_name>._tcp.<service>" or "<service>".
std::string srv_name(const config::DiscoverConfig& discover);

// One blocking lookup of `discover` (SRV, then A/AAAA; see the header comment). nullopt with `*error` set
// when it failed or found nothing. `nameserver` (IPv4 only) replaces the name servers of
// /etc/resolv.conf; also settable with the environment variable MCRELAY_DNS_SERVER="127.0.0.1:5353" (see
// nameserver_from_env).
std::optional<DnsAnswer> lookup(const config::DiscoverConfig& discover,
                                const std::optional<boost::asio::ip::udp::endpoint>& nameserver, std::string* error);

// MCRELAY_DNS_SERVER ("IPv4:port" or "IPv4") if set and valid, else nullopt (for tests and manual checks
// against a local DNS server; the caller decides whether to honour it).
std::optional<boost::asio::ip::udp::endpoint> nameserver_from_env();

}  // namespace discovery

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
