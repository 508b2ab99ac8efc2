#include "proxy/discovery_dns.hpp"

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

namespace mcrelay::discovery {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string canonical_name(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return lower(name);
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

}  // namespace mcrelay::discovery
