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
// suffixes are checked and then ignored: protocol "ascii" (caret/umbrella/thrift: "only the ASCII protocol
// is supported"), security "plain", compression "notcompressed" (all case-insensitive, empty = default).
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

  bool operator==(const ServerAddress&) const = default;
};

ServerAddress parse_server_address(std::string_view text);

}  // namespace mcrelay::config
