#pragma once
// Request: one routed memcached request (a single key), owned by the worker thread that parsed it.
//
// Contract: built by the client session from RequestParser output (proxy/), passed by Ref through the route
// tree (routes/) to a destination, read there to serialize the upstream command. Immutable once routing
// starts: fan-out routes hand the same Request to several children. A multi-key get from a client becomes
// one Request per key; the destination layer batches them again (one upstream multi-get per server).
#include <cstdint>
#include <string>
#include <string_view>

#include "util/ref_counted.hpp"

namespace mcrelay {

enum class Op : std::uint8_t {
  get, gets, gat, gats,
  set, add, replace, append, prepend, cas,
  delete_, incr, decr, touch,
  flush_all, version, verbosity, stats, quit,
  // Meta commands (mg, ms, md, ma, mn, me): parsed by the same parser; routed like their classic
  // counterparts (see op_kind()).
  mg, ms, md, ma, mn, me,
  // mcrouter's lease and metaget commands: served on stock memcached through meta commands
  // (protocol/lease_translation.hpp).
  lease_get, lease_set, metaget,
};

constexpr int kOpCount = static_cast<int>(Op::metaget) + 1;

// The operation class route handles select on (OperationSelectorRoute, failover policies, stats).
enum class OpKind : std::uint8_t { get, update, del, arith, touch, other };

std::string_view op_name(Op op) noexcept;  // the command word: "get", "delete", "mg", "lease-get", ...
                                          // (protocol/op_names.hpp has every name of an op)
OpKind op_kind(Op op) noexcept;
inline bool is_retrieval(Op op) noexcept {
  return op == Op::get || op == Op::gets || op == Op::gat || op == Op::gats;
}
inline bool is_storage(Op op) noexcept {
  return op == Op::set || op == Op::add || op == Op::replace || op == Op::append || op == Op::prepend ||
         op == Op::cas;
}

// Bytes that end a routing key (mcrouter's "hash stop"): what follows is sent upstream but not hashed.
inline constexpr std::string_view kHashStop = "|#|";

// The routing prefix of a key: "/region/cluster/" when the key starts with '/' and holds two more '/'.
// Returns 0 when the key has none.
std::size_t routing_prefix_length(std::string_view key) noexcept;

// The hash OriginalClientHashRoute spreads clients with: FNV-1a 64 of the client's IP address as text.
inline std::uint64_t client_ip_hash(std::string_view ip) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : ip) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// The fields of a request, copyable as a whole (Request adds the reference count, which is not).
struct RequestData {
  Op op = Op::get;
  bool noreply = false;           // the client wants no reply; upstream is always asked for one
  bool base64_key = false;        // meta flag b: `key` holds the decoded key; it is re-encoded upstream
  bool has_client_ip = false;     // client_ip_hash is set (the proxy knows the client's address)
  std::uint16_t prefix_len = 0;   // routing prefix length within `key` (0: none)
  std::uint32_t flags = 0;        // storage: client flags
  std::int64_t exptime = 0;       // storage, touch, gat/gats
  std::uint64_t cas_unique = 0;   // cas; lease-set: the lease token
  std::uint64_t delta = 0;        // incr/decr
  std::uint64_t client_ip_hash = 0;  // FNV-1a 64 of the client's IP address text ("10.0.0.7", "::1"), set by
                                     // the proxy's client session; OriginalClientHashRoute routes on it
  std::string key;                // as the client sent it, routing prefix included
  std::string value;              // storage, lease-set: the data block without its "\r\n"
  std::string value_end;          // ms: the 2 bytes after the block when they are not "\r\n" (sent as written)
  std::string args;               // flush_all delay, verbosity level; meta: the flags to forward (q removed)
};

struct Request : RefCounted, RequestData {
  Request() = default;
  explicit Request(const RequestData& d) : RequestData(d) {}

  // A fresh copy: routes that rewrite a request (exptime caps, ...) change a copy, never a shared one.
  Ref<Request> clone() const { return Ref<Request>(new Request(static_cast<const RequestData&>(*this))); }

  // The key without its routing prefix, cut at the first hash stop: the bytes hashed to pick a server.
  std::string_view routing_key() const noexcept {
    std::string_view k = std::string_view(key).substr(prefix_len);
    auto stop = k.find(kHashStop);
    return stop == std::string_view::npos ? k : k.substr(0, stop);
  }
  // The key as sent to a server: without the routing prefix unless the pool keeps it.
  std::string_view upstream_key(bool keep_routing_prefix) const noexcept {
    return keep_routing_prefix ? std::string_view(key) : std::string_view(key).substr(prefix_len);
  }
};

using RequestPtr = Ref<Request>;

}  // namespace mcrelay
