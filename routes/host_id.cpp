#include "routes/host_id.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>



namespace mcrelay {

namespace {

std::uint32_t fnv(const void* data, std::size_t size) noexcept {
  // FNV-1a, 32 bits, over the address bytes.
  std::uint32_t h = 2166136261u;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

std::uint32_t compute() noexcept {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return 0;
  std::uint32_t out = 0;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      const std::uint32_t ip = ntohl(in->sin_addr.s_addr);
      if ((ip >> 24) == 127 || (ip >> 16) == 0xa9fe) continue;  // loopback, 169.254/16
      out = fnv(&in->sin_addr, sizeof(in->sin_addr));
      break;
    }
    if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
      out = fnv(&in6->sin6_addr, sizeof(in6->sin6_addr));
      break;
    }
  }
  freeifaddrs(list);
  return out;
}

std::uint32_t& storage() noexcept {
  static std::uint32_t id = compute();
  return id;
}

}  // namespace

std::uint32_t host_id() noexcept { return storage(); }

HostIdOverride::HostIdOverride(std::uint32_t value) : previous_(storage()) { storage() = value; }
HostIdOverride::~HostIdOverride() { storage() = *previous_; }

}  // namespace mcrelay
