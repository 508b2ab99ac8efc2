#pragma once
// host_id(): a 32-bit number identifying this machine, as mcrouter's globals::hostid() does: a hash of the
// first IPv4/IPv6 address of a local interface that is neither loopback nor link-local (0 when there is
// none). KeySplitRoute uses it to choose this proxy's replica, so that different proxy hosts spread a hot
// key's reads over different replicas.
//
// Contract: computed once, on first use (any thread; a function-local static); no sockets are opened
// (getifaddrs only). The value differs from mcrouter's (folly's IPAddress hash): only its spread across
// hosts matters. HostIdOverride replaces it for tests (not thread-safe: tests only).
#include <cstdint>
#include <optional>

namespace mcrelay {

std::uint32_t host_id() noexcept;

class HostIdOverride {
 public:
  explicit HostIdOverride(std::uint32_t value);
  ~HostIdOverride();
  HostIdOverride(const HostIdOverride&) = delete;
  HostIdOverride& operator=(const HostIdOverride&) = delete;

 private:
  std::optional<std::uint32_t> previous_;
};

}  // namespace mcrelay
