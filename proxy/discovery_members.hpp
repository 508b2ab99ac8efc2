#pragma once
// The member list of a discovered pool (proxy/discovery.hpp), computed from a DNS answer: pure functions.
//
// Contract: pure and stateless; ServiceDiscovery calls them on its own thread (and on the control thread
// through resolve_now()); tests call them directly.
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
// Limitation: a StatefulSet with spec.ordinals.start > 0 gets down placeholders for ordinals 0..start-1.#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/pool_config.hpp"
#include "config/server_address.hpp"
#include "proxy/discovery_dns.hpp"

namespace mcrelay::discovery {

inline constexpr std::size_t kMaxDiscoveredMembers = 1024;

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

}  // namespace mcrelay::discovery
