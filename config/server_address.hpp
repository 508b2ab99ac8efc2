#pragma once
// ServerAddress: one entry of a pool's "servers" list, in mcrouter's access-point syntax.
//
// Contract: parse_server_address is called by the config loader (main/control thread, start-up and reload)
// and may be called by anything else that reads addresses from configs or command lines. It is pure: no
// name resolution (hostnames are kept; destinations resolve them elsewhere). It throws
// std::invalid_argument whose what() is the reason only (e.g. `port "x" is not a number`); the caller adds
// where the string came from (and the string as written).
//
// Accepted: host[:port[:protocol[:security[:compression]]]] where host is a hostname, an IPv4 address or a
// bracketed IPv6 address ("[::1]"); port 0..65535, default 11211 when omitted (0 as mcrouter accepts it:
// the config loads and connecting fails). The optional mcrouter
// suffixes are checked: protocol "ascii" (caret/umbrella/thrift: "only the ASCII protocol is supported"),
// security "plain" or "ssl" (TLS to that server, as mcrouter's; see docs/tls.md), compression "notcompressed"
// (all case-insensitive, empty = default).
//
// Unix domain sockets, as mcrouter's AccessPoint: "unix:/path[:protocol[:security[:compression]]]" (the path
// absolute, without ':', at most 107 bytes; security "plain" only: mcrouter has no TLS over Unix sockets
// either). host is the path, port 0, text "unix:/path". Key placement does not change: mcrouter's hashes
// (ch3, crc32, weighted_ch3...) place keys by a server's index in the pool, not by its address.
#include <cstdint>
#include <string>
#include <string_view>

namespace mcrelay::config {

inline constexpr std::uint16_t kDefaultMemcachedPort = 11211;

struct ServerAddress {
  // The canonical "host:port" (brackets for IPv6), whatever the config spelled: "h" -> "h:11211",
  // "[::1]:5001:ascii:plain" -> "[::1]:5001". Identifies the destination (equal text = same server) and is
  // the form shown in stats and route introspection.
  std::string text;
  std::string host;  // hostname or IP literal, without brackets: "::1", "10.0.0.1", "cache-0.cache"
  std::uint16_t port = kDefaultMemcachedPort;
  bool unix_socket = false;  // "unix:/path": host is the path, port 0
  bool use_ssl = false;      // security field "ssl": TLS to this server (a pool's "use_ssl" does it for all)

  bool operator==(const ServerAddress&) const = default;
};

ServerAddress parse_server_address(std::string_view text);

}  // namespace mcrelay::config
