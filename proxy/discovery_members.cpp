#include "proxy/discovery_members.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace mcrelay::discovery {

namespace {

using boost::asio::ip::address;

// Letters, digits, '-', '_' and non-empty dot-separated labels: what can be a member's host.
bool plausible_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (char c : name) {
    if (c == '.' && previous == '.') return false;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    previous = c;
  }
  return true;
}

std::optional<address> as_ip(std::string_view host) {
  boost::system::error_code ec;
  const address a = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return a;
}

// CoreDNS names an endpoint without a hostname after its IP: "10-244-1-5", "fd00--1".
bool is_dashed_ip(std::string_view label) {
  std::string v4(label), v6(label);
  std::replace(v4.begin(), v4.end(), '-', '.');
  std::replace(v6.begin(), v6.end(), '-', ':');
  boost::system::error_code ec;
  boost::asio::ip::make_address_v4(v4, ec);
  if (!ec) return true;
  boost::asio::ip::make_address_v6(v6, ec);
  return !ec;
}

// A member "host:port" (IPv6 literals in brackets); nullopt if the host is unusable.
std::optional<config::ServerAddress> make_member(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  try {
    return config::parse_server_address(v6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port));
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

// Order of the unordered modes: IP addresses numerically (IPv4 first), before names, names as strings.
bool member_less(const config::ServerAddress& a, const config::ServerAddress& b) {
  const auto ia = as_ip(a.host), ib = as_ip(b.host);
  if (ia && ib) return *ia != *ib ? *ia < *ib : a.port < b.port;
  if (ia || ib) return static_cast<bool>(ia);
  return a.host != b.host ? a.host < b.host : a.port < b.port;
}

// Unordered modes: the current members plus previous members missing for fewer than `grace` refreshes (of
// the same kind: IP addresses or names), sorted.
MemberState unordered(const MemberState& previous, std::vector<config::ServerAddress> current, bool ip_mode,
                      unsigned grace) {
  std::sort(current.begin(), current.end(), member_less);
  current.erase(std::unique(current.begin(), current.end()), current.end());
  std::vector<std::pair<config::ServerAddress, unsigned>> all;
  for (auto& m : current) all.emplace_back(std::move(m), 0u);
  for (std::size_t i = 0; i < previous.members.size(); ++i) {
    const config::ServerAddress& m = previous.members[i];
    if (as_ip(m.host).has_value() != ip_mode) continue;
    const bool present = std::any_of(all.begin(), all.end(), [&](const auto& e) { return e.first == m; });
    if (present) continue;
    const unsigned absent = (i < previous.absent.size() ? previous.absent[i] : 0) + 1;
    if (absent < grace) all.emplace_back(m, absent);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return member_less(a.first, b.first); });
  MemberState state;
  for (auto& [m, absent] : all) {
    state.members.push_back(std::move(m));
    state.absent.push_back(absent);
  }
  return state;
}

}  // namespace

std::optional<OrdinalName> parse_ordinal_name(std::string_view host) {
  const std::string name = canonical_name(host);
  const auto dot = name.find('.');
  const std::string label = name.substr(0, dot);
  const auto dash = label.rfind('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  const std::string digits = label.substr(dash + 1);
  if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  if (is_dashed_ip(label)) return std::nullopt;
  OrdinalName out;
  out.prefix = label.substr(0, dash + 1);
  out.ordinal = static_cast<unsigned>(std::stoul(digits));
  out.suffix = dot == std::string::npos ? std::string() : name.substr(dot);
  return out;
}

std::string ordinal_host(const OrdinalName& pattern, unsigned ordinal) {
  return fmt::format("{}{}{}", pattern.prefix, ordinal, pattern.suffix);
}

MemberState next_members(const MemberState& previous, const DnsAnswer& answer, const config::DiscoverConfig& discover,
                         std::string* warning) {
  if (warning) warning->clear();
  const unsigned grace = discover.scale_down_grace;

  if (answer.srv_targets.empty()) {
    // A pool known by SRV names never switches to addresses: SRV records that vanish for a moment (a DNS
    // server restarting, a Service being edited) would otherwise rename every member and remap every key.
    bool known_by_name = false;
    for (const auto& m : previous.members) {
      boost::system::error_code ec;
      boost::asio::ip::make_address(m.host, ec);
      if (ec) known_by_name = true;
    }
    if (known_by_name) {
      if (warning) *warning = "no SRV records in the answer; keeping the members known by name";
      return previous;
    }
    // A/AAAA mode: the addresses, numerically.
    std::vector<config::ServerAddress> current;
    for (const address& a : answer.addresses) {
      if (auto m = make_member(a.to_string(), discover.port)) current.push_back(std::move(*m));
    }
    if (current.empty()) return previous;
    return unordered(previous, std::move(current), /*ip_mode=*/true, grace);
  }

  // SRV mode.
  std::set<std::string> targets;
  for (const std::string& t : answer.srv_targets) {
    std::string name = canonical_name(t);
    if (plausible_hostname(name)) targets.insert(std::move(name));
  }
  if (targets.empty()) return previous;

  std::optional<OrdinalName> pattern;
  std::set<unsigned> present;
  std::string why_unordered;
  for (const std::string& t : targets) {
    const auto parsed = parse_ordinal_name(t);
    if (!parsed) {
      why_unordered = fmt::format("SRV target {} has no StatefulSet ordinal (\"<name>-<number>.\")", t);
      break;
    }
    if (pattern && (pattern->prefix != parsed->prefix || pattern->suffix != parsed->suffix)) {
      why_unordered = fmt::format("SRV targets {} and {} belong to different StatefulSets",
                                  ordinal_host(*pattern, *present.begin()), t);
      break;
    }
    if (parsed->ordinal >= kMaxDiscoveredMembers) {
      why_unordered = fmt::format("SRV target {} has an ordinal of {} or more", t, kMaxDiscoveredMembers);
      break;
    }
    if (!pattern) pattern = parsed;
    present.insert(parsed->ordinal);
  }
  if (!why_unordered.empty()) {
    if (warning) {
      *warning = fmt::format("{}: members are ordered by name, and their indices change when pods come and go",
                             why_unordered);
    }
    std::vector<config::ServerAddress> current;
    for (const std::string& t : targets) {
      if (auto m = make_member(t, discover.port)) current.push_back(std::move(*m));
    }
    if (current.empty()) return previous;
    return unordered(previous, std::move(current), /*ip_mode=*/false, grace);
  }

  // Ordered by ordinal. The previous state carries over only if it is this StatefulSet's list.
  const std::size_t wanted = *present.rbegin() + 1;
  std::size_t previous_size = previous.members.size();
  for (std::size_t i = 0; i < previous.members.size(); ++i) {
    if (previous.members[i].host != ordinal_host(*pattern, static_cast<unsigned>(i)) ||
        previous.members[i].port != discover.port) {
      previous_size = 0;
      break;
    }
  }
  std::size_t size = std::max(wanted, previous_size);
  std::vector<unsigned> absent(size, 0);
  for (std::size_t i = 0; i < size; ++i) {
    if (present.count(static_cast<unsigned>(i))) continue;
    const unsigned before = i < previous_size && i < previous.absent.size() ? previous.absent[i] : 0;
    absent[i] = before + 1;
  }
  while (size > wanted && absent[size - 1] >= grace) --size;
  absent.resize(size);

  MemberState state;
  state.absent = std::move(absent);
  for (std::size_t i = 0; i < size; ++i) {
    auto m = make_member(ordinal_host(*pattern, static_cast<unsigned>(i)), discover.port);
    if (!m) return previous;  // cannot happen: the targets were checked
    state.members.push_back(std::move(*m));
  }
  return state;
}

}  // namespace mcrelay::discovery
