#pragma once
// DNS for service discovery (proxy/discovery.hpp): one blocking lookup of a discovered pool, and the parser
// of the DNS messages it receives. Pure functions, but lookup(), which queries the name servers.
//
// Contract: lookup() blocks (each query times out after 2 s, 2 attempts per name server); it is called by
// ServiceDiscovery's own thread, or on the control thread at start-up and reloads, never on a worker.
// Everything else is pure and callable on any thread.
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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "config/pool_config.hpp"

namespace mcrelay::discovery {

// What one lookup found (record order as received; duplicates allowed).
struct DnsAnswer {
  std::vector<std::string> srv_targets;               // SRV targets (the root "." target is dropped)
  std::vector<boost::asio::ip::address> addresses;    // A/AAAA records
  bool empty() const { return srv_targets.empty() && addresses.empty(); }
};

// A DNS name as members are compared: lowercase, without a trailing dot.
std::string canonical_name(std::string_view name);

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

}  // namespace mcrelay::discovery
