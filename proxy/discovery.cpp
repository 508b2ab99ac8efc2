#include "proxy/discovery.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

// The glibc resolver: res_ninit/res_nquery/res_nclose and dn_skipname/dn_expand are in libc itself
// (glibc >= 2.34); ns_initparse & co. would need libresolv, so the answer is parsed here instead.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <fmt/format.h>

namespace mcrelay {

namespace discovery {

namespace {

using boost::asio::ip::address;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Lowercase, without a trailing dot.
std::string canonical_name(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return lower(name);
}

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

bool parse_dns_response(std::span<const unsigned char> message, DnsAnswer& out, std::string* error) {
  auto fail = [&](std::string_view why) {
    if (error) *error = fmt::format("malformed DNS response: {}", why);
    return false;
  };
  if (message.size() < HFIXEDSZ) return fail("shorter than a header");
  const unsigned char* const begin = message.data();
  const unsigned char* const end = begin + message.size();
  auto u16 = [](const unsigned char* p) { return static_cast<unsigned>((p[0] << 8) | p[1]); };
  const unsigned questions = u16(begin + 4);
  const unsigned answers = u16(begin + 6);
  const unsigned char* p = begin + HFIXEDSZ;
  for (unsigned i = 0; i < questions; ++i) {
    const int n = dn_skipname(p, end);
    if (n < 0 || end - (p + n) < QFIXEDSZ) return fail("truncated question");
    p += n + QFIXEDSZ;
  }
  for (unsigned i = 0; i < answers; ++i) {
    const int n = dn_skipname(p, end);
    if (n < 0 || end - (p + n) < RRFIXEDSZ) return fail("truncated answer record");
    p += n;
    const unsigned type = u16(p), klass = u16(p + 2), length = u16(p + 8);
    p += RRFIXEDSZ;
    if (static_cast<unsigned>(end - p) < length) return fail("truncated record data");
    const unsigned char* const data = p;
    p += length;
    if (klass != ns_c_in) continue;
    if (type == ns_t_a) {
      if (length != 4) return fail("an A record is not 4 bytes long");
      boost::asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), data, 4);
      out.addresses.emplace_back(boost::asio::ip::address_v4(bytes));
    } else if (type == ns_t_aaaa) {
      if (length != 16) return fail("an AAAA record is not 16 bytes long");
      boost::asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), data, 16);
      out.addresses.emplace_back(boost::asio::ip::address_v6(bytes));
    } else if (type == ns_t_srv) {
      if (length < 7) return fail("an SRV record is too short");
      char name[NS_MAXDNAME];
      const int used = dn_expand(begin, end, data + 6, name, sizeof name);
      if (used < 0 || static_cast<unsigned>(used) > length - 6) return fail("bad SRV target name");
      const std::string target = canonical_name(name);
      if (!target.empty() && target != ".") out.srv_targets.push_back(target);
    }
  }
  return true;
}

std::string srv_name(const config::DiscoverConfig& discover) {
  if (discover.port_name.empty()) return discover.service;
  return fmt::format("_{}._tcp.{}", discover.port_name, discover.service);
}

namespace {

// A res_state initialised from /etc/resolv.conf, optionally talking to one given (IPv4) name server.
class Resolver {
 public:
  explicit Resolver(const std::optional<boost::asio::ip::udp::endpoint>& nameserver) {
    std::memset(&state_, 0, sizeof state_);
    ok_ = res_ninit(&state_) == 0;
    if (!ok_) return;
    state_.retrans = 2;  // seconds per try
    state_.retry = 2;    // tries per name server
    if (nameserver) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(nameserver->port());
      const auto bytes = nameserver->address().to_v4().to_bytes();
      std::memcpy(&sa.sin_addr, bytes.data(), 4);
      state_.nsaddr_list[0] = sa;  // an AF_INET entry here wins over an IPv6 one in _u._ext.nsaddrs[0]
      state_.nscount = 1;
    }
  }
  ~Resolver() {
    if (ok_) res_nclose(&state_);
  }
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  bool ok() const { return ok_; }

  enum class Status { records, none, failed };

  // One query; `reason` describes none/failed ("NXDOMAIN", "no records", "timed out or SERVFAIL", ...).
  Status query(const std::string& name, int type, DnsAnswer& out, std::string& reason) {
    std::vector<unsigned char> buffer(65536);
    const int n = res_nquery(&state_, name.c_str(), ns_c_in, type, buffer.data(), static_cast<int>(buffer.size()));
    if (n < 0) {
      switch (state_.res_h_errno) {
        case HOST_NOT_FOUND: reason = "NXDOMAIN"; return Status::none;
        case NO_DATA: reason = "no records"; return Status::none;
        case TRY_AGAIN: reason = "no answer (timeout, SERVFAIL or unreachable name server)"; return Status::failed;
        case NO_RECOVERY: reason = "refused or failed (non-recoverable error)"; return Status::failed;
        default: reason = fmt::format("resolver error {}", state_.res_h_errno); return Status::failed;
      }
    }
    const std::size_t length = std::min(static_cast<std::size_t>(n), buffer.size());
    DnsAnswer answer;
    if (!parse_dns_response(std::span<const unsigned char>(buffer.data(), length), answer, &reason)) {
      return Status::failed;
    }
    if (answer.empty()) {
      reason = "no records";
      return Status::none;
    }
    out.srv_targets.insert(out.srv_targets.end(), answer.srv_targets.begin(), answer.srv_targets.end());
    out.addresses.insert(out.addresses.end(), answer.addresses.begin(), answer.addresses.end());
    return Status::records;
  }

 private:
  struct __res_state state_;
  bool ok_ = false;
};

}  // namespace

std::optional<DnsAnswer> lookup(const config::DiscoverConfig& discover,
                                const std::optional<boost::asio::ip::udp::endpoint>& nameserver, std::string* error) {
  std::string ignored;
  std::string& err = error ? *error : ignored;
  err.clear();
  if (nameserver && !nameserver->address().is_v4()) {
    err = fmt::format("name server {} is not an IPv4 address", nameserver->address().to_string());
    return std::nullopt;
  }
  Resolver resolver(nameserver);
  if (!resolver.ok()) {
    err = "cannot initialise the resolver (res_ninit failed)";
    return std::nullopt;
  }

  DnsAnswer srv;
  const std::string srv_at = srv_name(discover);
  std::string srv_reason;
  switch (resolver.query(srv_at, ns_t_srv, srv, srv_reason)) {
    case Resolver::Status::records:
      // Only ".": "no service here"; treat like no SRV records.
      if (!srv.srv_targets.empty()) return DnsAnswer{std::move(srv.srv_targets), {}};
      srv_reason = "no records";
      break;
    case Resolver::Status::failed:
      err = fmt::format("SRV {}: {}", srv_at, srv_reason);
      return std::nullopt;
    case Resolver::Status::none:
      break;
  }

  DnsAnswer addresses;
  std::string a_reason, aaaa_reason;
  const auto a = resolver.query(discover.service, ns_t_a, addresses, a_reason);
  const auto aaaa = resolver.query(discover.service, ns_t_aaaa, addresses, aaaa_reason);
  if (!addresses.addresses.empty()) return DnsAnswer{{}, std::move(addresses.addresses)};
  if (a == Resolver::Status::failed) {
    err = fmt::format("A {}: {}", discover.service, a_reason);
  } else if (aaaa == Resolver::Status::failed) {
    err = fmt::format("AAAA {}: {}", discover.service, aaaa_reason);
  } else {
    err = fmt::format("no SRV records at {} ({}) and no A/AAAA records at {} ({})", srv_at, srv_reason,
                      discover.service, a_reason);
  }
  return std::nullopt;
}

std::optional<boost::asio::ip::udp::endpoint> nameserver_from_env() {
  const char* value = std::getenv("MCRELAY_DNS_SERVER");
  if (!value || !*value) return std::nullopt;
  std::string_view text(value);
  std::uint16_t port = 53;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const std::string digits(text.substr(colon + 1));
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    const unsigned long p = std::stoul(digits);
    if (p == 0 || p > 65535) return std::nullopt;
    port = static_cast<std::uint16_t>(p);
    text = text.substr(0, colon);
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address_v4(std::string(text), ec);
  if (ec) return std::nullopt;
  return boost::asio::ip::udp::endpoint(ip, port);
}

}  // namespace discovery

// ---------------------------------------------------------------------------------------------------------

ServiceDiscovery::ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error,
                                   std::optional<boost::asio::ip::udp::endpoint> nameserver)
    : ServiceDiscovery(std::move(on_change), std::move(on_error),
                       [nameserver](const config::DiscoverConfig& d, std::string* error) {
                         return discovery::lookup(d, nameserver, error);
                       }) {}

ServiceDiscovery::ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error, LookupFunction lookup)
    : on_change_(std::move(on_change)), on_error_(std::move(on_error)), lookup_(std::move(lookup)) {
  thread_ = std::thread([this] { run(); });
}

ServiceDiscovery::~ServiceDiscovery() { stop(); }

void ServiceDiscovery::stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<config::ServerAddress> ServiceDiscovery::resolve_now(const config::DiscoverConfig& discover,
                                                                 std::string* error, std::string* warning) const {
  std::string ignored;
  std::string& err = error ? *error : ignored;
  err.clear();
  if (warning) warning->clear();
  const auto answer = lookup_(discover, &err);
  if (!answer || answer->empty()) {
    if (err.empty()) err = fmt::format("no records for {}", discovery::srv_name(discover));
    return {};
  }
  auto state = discovery::next_members({}, *answer, discover, warning);
  if (state.members.empty()) err = fmt::format("no usable records for {}", discovery::srv_name(discover));
  return std::move(state.members);
}

std::map<std::string, std::vector<config::ServerAddress>> ServiceDiscovery::resolve_pools(
    const config::Config& config, std::map<std::string, std::string>* errors) const {
  std::map<std::string, std::vector<config::ServerAddress>> out;
  for (const auto& [name, pool] : config.pools) {
    if (!pool.discover) continue;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = pools_.find(name);
      if (it != pools_.end() && it->second.discover == *pool.discover && !it->second.state.members.empty()) {
        out.emplace(name, it->second.state.members);
        continue;
      }
    }
    std::string error;
    auto members = resolve_now(*pool.discover, &error);
    if (members.empty()) {
      if (errors) (*errors)[name] = error;
      continue;
    }
    out.emplace(name, std::move(members));
  }
  return out;
}

void ServiceDiscovery::watch(const config::Config& config,
                             const std::map<std::string, std::vector<config::ServerAddress>>& current) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, Pool> next;
    for (const auto& [name, pool] : config.pools) {
      if (!pool.discover) continue;
      const auto given = current.find(name);
      const std::vector<config::ServerAddress> list =
          given != current.end() ? given->second : std::vector<config::ServerAddress>{};
      if (auto old = pools_.find(name);
          old != pools_.end() && old->second.discover == *pool.discover && old->second.state.members == list) {
        next.emplace(name, std::move(old->second));
        continue;
      }
      Pool p;
      p.discover = *pool.discover;
      p.state.members = list;
      p.state.absent.assign(list.size(), 0);
      p.generation = next_generation_++;
      p.due = list.empty() ? now : now + std::chrono::milliseconds(p.discover.refresh_ms);
      next.emplace(name, std::move(p));
    }
    pools_ = std::move(next);
  }
  wake_.notify_all();
}

std::map<std::string, std::vector<config::ServerAddress>> ServiceDiscovery::members() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, std::vector<config::ServerAddress>> out;
  for (const auto& [name, pool] : pools_) {
    if (!pool.state.members.empty()) out.emplace(name, pool.state.members);
  }
  return out;
}

void ServiceDiscovery::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (pools_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto due = pools_.begin();
    for (auto it = pools_.begin(); it != pools_.end(); ++it) {
      if (it->second.due < due->second.due) due = it;
    }
    if (due->second.due > std::chrono::steady_clock::now()) {
      // A copy: the wait releases the lock, and watch() may replace pools_ (and this entry) meanwhile.
      const auto deadline = due->second.due;
      wake_.wait_until(lock, deadline);
      continue;  // re-evaluate: watch() or stop() may have woken us
    }

    const std::string name = due->first;
    const config::DiscoverConfig discover = due->second.discover;
    const std::uint64_t generation = due->second.generation;
    const discovery::MemberState previous = due->second.state;
    lock.unlock();

    std::string error, warning;
    const auto answer = lookup_(discover, &error);
    std::optional<discovery::MemberState> next;
    if (answer && !answer->empty()) {
      next = discovery::next_members(previous, *answer, discover, &warning);
      if (next->members.empty()) next.reset();
    }
    if (!next && error.empty()) error = fmt::format("no usable records for {}", discovery::srv_name(discover));

    lock.lock();
    if (stopping_) break;
    const auto it = pools_.find(name);
    if (it == pools_.end() || it->second.generation != generation) continue;  // replaced by watch() meanwhile
    Pool& pool = it->second;
    pool.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(discover.refresh_ms);
    std::optional<std::vector<config::ServerAddress>> changed;
    if (next) {
      if (next->members != pool.state.members) changed = next->members;
      pool.state = std::move(*next);
    }
    const std::string& message = next ? warning : error;
    std::optional<std::string> report;
    if (message != pool.message) {
      pool.message = message;
      report = message;
    }
    lock.unlock();
    if (changed && on_change_) on_change_(name, std::move(*changed));
    if (report && on_error_) on_error_(name, *report);
    lock.lock();
  }
}

}  // namespace mcrelay
