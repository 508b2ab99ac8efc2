#include "config/server_address.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace mcrelay::config {

namespace {

[[noreturn]] void fail(std::string reason) { throw std::invalid_argument(std::move(reason)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Quoted for messages, escaping what could make the message ambiguous or unprintable.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < ' ' || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

void check_hostname(std::string_view host) {
  for (unsigned char c : host) {
    if (!std::isalnum(c) && c != '-' && c != '.' && c != '_') {
      if (c <= ' ' || c >= 0x7f) fail(fmt::format("invalid character (byte 0x{:02x}) in host {}", c, quote(host)));
      fail(fmt::format("invalid character '{}' in host {}", static_cast<char>(c), quote(host)));
    }
  }
}

void check_ipv6(std::string_view host) {
  const auto zone = host.find('%');  // fe80::1%eth0
  const std::string_view address = host.substr(0, zone);
  const bool ok = address.find(':') != std::string_view::npos &&
                  std::all_of(address.begin(), address.end(), [](unsigned char c) {
                    return std::isxdigit(c) || c == ':' || c == '.';
                  }) &&
                  (zone == std::string_view::npos || zone + 1 < host.size());
  if (!ok) fail(fmt::format("invalid IPv6 address {} in brackets", quote(host)));
}

std::uint16_t parse_port(std::string_view port) {
  if (port.empty()) fail("missing port after ':'");
  if (!is_digits(port)) fail(fmt::format("port {} is not a number", quote(port)));
  unsigned long value = 0;
  for (char c : port) {
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) break;
  }
  // 0 is accepted, as mcrouter's AccessPoint accepts it ("localhost:0" in a pool loads; connecting fails).
  if (value > 65535) fail(fmt::format("port must be between 0 and 65535, got {}", port));
  return static_cast<std::uint16_t>(value);
}

void check_protocol(std::string_view protocol) {
  const std::string p = lower(protocol);
  if (p.empty() || p == "ascii") return;
  if (p == "caret" || p == "umbrella" || p == "thrift" || p == "xdp") {
    fail(fmt::format("only the ASCII protocol is supported, got {}", quote(protocol)));
  }
  fail(fmt::format("unknown protocol {} (only ascii is supported)", quote(protocol)));
}

// Returns true for TLS ("ssl", mcrouter's name for it).
bool parse_security(std::string_view security) {
  const std::string s = lower(security);
  if (s.empty() || s == "plain") return false;
  if (s == "ssl") return true;
  fail(fmt::format("unknown security {} (plain or ssl)", quote(security)));
}

void check_compression(std::string_view compression) {
  const std::string c = lower(compression);
  if (c.empty() || c == "notcompressed") return;
  fail(fmt::format("compression is not supported, got {} (use notcompressed or leave it out)", quote(compression)));
}

// `rest` is ":port[:protocol[:security[:compression]]]" (without the port for a Unix socket).
void parse_fields(std::string_view rest, ServerAddress& address, bool has_port = true) {
  std::vector<std::string_view> fields;
  std::string_view remaining = rest.substr(1);
  while (true) {
    const auto colon = remaining.find(':');
    fields.push_back(remaining.substr(0, colon));
    if (colon == std::string_view::npos) break;
    remaining = remaining.substr(colon + 1);
  }
  if (!has_port) fields.insert(fields.begin(), std::string_view{});
  if (fields.size() > 4) {
    fail(has_port ? "too many ':'-separated fields (expected host:port[:protocol[:security[:compression]]])"
                  : "too many ':'-separated fields (expected unix:/path[:protocol[:security[:compression]]])");
  }
  if (has_port) address.port = parse_port(fields[0]);
  if (fields.size() > 1) check_protocol(fields[1]);
  if (fields.size() > 2) address.use_ssl = parse_security(fields[2]);
  if (fields.size() > 3) check_compression(fields[3]);
}

ServerAddress parse_unix_address(std::string_view text) {
  ServerAddress address;
  const std::string_view rest = text.substr(5);
  const auto colon = rest.find(':');
  const std::string_view path = rest.substr(0, colon);
  if (path.empty()) fail("missing path after \"unix:\"");
  if (path[0] != '/') fail(fmt::format("the Unix socket path {} must be absolute", quote(path)));
  if (path.size() > 107) fail("the Unix socket path is longer than 107 bytes (the limit of a socket address)");
  for (unsigned char c : path) {
    if (c < ' ' || c == 0x7f) fail(fmt::format("invalid character (byte 0x{:02x}) in path {}", c, quote(path)));
  }
  if (colon != std::string_view::npos) parse_fields(rest.substr(colon), address, /*has_port=*/false);
  if (address.use_ssl) fail("TLS over a Unix socket is not supported (as in mcrouter); use security plain");
  address.unix_socket = true;
  address.host = std::string(path);
  address.port = 0;
  address.text = "unix:" + address.host;
  return address;
}

}  // namespace

ServerAddress parse_server_address(std::string_view text) {
  if (text.empty()) fail("empty server address");
  if (text.substr(0, 5) == "unix:") return parse_unix_address(text);

  ServerAddress address;
  std::string_view rest;  // ":port:protocol:..." or empty
  if (text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) fail("missing ']' after the IPv6 address");
    const std::string_view host = text.substr(1, close - 1);
    if (host.empty()) fail("empty IPv6 address in brackets");
    check_ipv6(host);
    address.host = std::string(host);
    rest = text.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') fail(fmt::format("expected ':' after ']', got {}", quote(rest)));
  } else {
    const auto colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    // An unbracketed IPv6 address ("::1:11211", "fe80::1", "2001:db8::1"): say how to write it.
    if (is_hex(host) && !rest.empty()) {
      const auto second = rest.find(':', 1);
      const std::string_view port = rest.substr(1, second == std::string_view::npos ? rest.npos : second - 1);
      if (text.find("::") != std::string_view::npos || (second != std::string_view::npos && !is_digits(port))) {
        fail("IPv6 addresses must be written in brackets, e.g. \"[::1]:11211\"");
      }
    }
    if (host.empty()) fail("missing host before ':'");
    check_hostname(host);
    address.host = std::string(host);
  }

  if (!rest.empty()) parse_fields(rest, address);  // else no port: memcached's default
  address.text = address.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", address.host, address.port)
                                                               : fmt::format("{}:{}", address.host, address.port);
  return address;
}

}  // namespace mcrelay::config

