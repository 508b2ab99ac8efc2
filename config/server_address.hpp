#pragma once
// ServerAddress: one entry of a pool's "servers" list, in mcrouter's access-point syntax.
//
// Contract: parse_server_address is called by the config loader (main/control thread, start-up and reload)
// and may be called by anything else that reads addresses from configs or command lines. It is pure: no
// name resolution (hostnames are kept; destinations resolve them elsewhere). It throws
// std::invalid_argument whose what() is the reason only (e.g. `port "x" is not a number`); the caller adds
// where the string came from.
//
// Accepted: host[:port[:protocol[:security[:compression]]]] where host is a hostname, an IPv4 address or a
// bracketed IPv6 address ("[::1]"); port 1..65535, default 11211 when omitted. The optional mcrouter
// suffixes are checked and then ignored: protocol "ascii" (caret/umbrella/thrift: "only the ASCII protocol
// is supported"), security "plain", compression "notcompressed" (all case-insensitive, empty = default).
#include <cstdint>
#include <string>
#include <string_view>

namespace mcrelay::config {

inline constexpr std::uint16_t kDefaultMemcachedPort = 11211;

struct ServerAddress {
  std::string text;  // as written in the config, e.g. "[::1]:5001:ascii:plain"
  std::string host;  // hostname or IP literal, without brackets: "::1", "10.0.0.1", "cache-0.cache"
  std::uint16_t port = kDefaultMemcachedPort;

  // "host:port", with brackets for IPv6: "[::1]:5001" (the form used in stats and route introspection).
  std::string host_port() const;

  bool operator==(const ServerAddress&) const = default;
};

ServerAddress parse_server_address(std::string_view text);

}  // namespace mcrelay::config
