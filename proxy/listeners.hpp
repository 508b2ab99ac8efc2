#pragma once
// Listeners: the proxy's listening sockets, bound at start-up and handed to the workers.
//
// Every worker has its own acceptor on each (address, port), sharing the port with SO_REUSEPORT so the kernel
// spreads new connections over the workers. SO_REUSEPORT would also let a second process started by the same
// user share the port silently (a second mcrelay, or an mcrouter, on a port in use): so before listening, and
// once more after, the listening sockets on the port are compared with this process's own
// (/proc/net/tcp{,6} inodes against fstat of our sockets); another process's listener there is a start-up
// error, as a plain bind(2) would give. With --listen-sock-fd the inherited socket is used instead of binding:
// every worker accepts on it (a dup each).
//
// Contract: main/control thread, once, before the workers start. Throws std::runtime_error with an
// operator-facing message (the caller exits 1, as mcrouter does when it cannot listen).
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <sys/types.h>

#include "config/config.hpp"
#include "proxy/options.hpp"

namespace mcrelay {

class Worker;

// Binds (or adopts --listen-sock-fd; or, with --unix-domain-sock, listens on that Unix socket only, as
// mcrouter does, and returns no port), also the --ssl-port listeners (TLS) on every listen address, checks the port is ours alone, listens, gives each worker its acceptors
// and logs "listening on ADDRESS:PORT" for each. Returns the ports listened on (the real ones for -p 0).
// `pool_listeners` (twemproxy configs): each "host:port" is bound too, its connections taking that pool's
// route by default; "/path/sock [mode]" entries listen on that Unix socket (proxy/unix_listener.hpp), removed
// at exit by the caller. Their ports are not returned.
std::vector<std::uint16_t> bind_listeners(const Options& options, std::vector<std::unique_ptr<Worker>>& workers,
                                          const std::vector<config::PoolListener>& pool_listeners = {});

struct ProcListener {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  ino_t inode = 0;
};

// The listening TCP sockets of this network namespace, parsed from the text of /proc/net/tcp or tcp6.
std::vector<ProcListener> parse_proc_net_tcp(const std::string& text, bool v6);

// Listeners on `port` that would receive connections meant for `address` (same address, or either one a
// wildcard) and are not among `own_inodes`, as "ADDRESS:PORT" strings.
std::vector<std::string> foreign_listeners(const std::vector<ProcListener>& listeners,
                                           const boost::asio::ip::address& address, std::uint16_t port,
                                           const std::set<ino_t>& own_inodes);

}  // namespace mcrelay
