#include "proxy/listeners.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "proxy/unix_listener.hpp"
#include "util/logging.hpp"
#include "proxy/worker.hpp"

namespace mcrelay {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

asio::ip::address resolve_listen_address(const std::string& text) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(text, ec);
  if (!ec) return addr;
  // A name ("localhost", a node name): listen on the first address it resolves to.
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(text, "", ec);
  if (ec || results.empty()) throw std::runtime_error(fmt::format("cannot resolve listen address {}", text));
  return results.begin()->endpoint().address();
}

std::string endpoint_text(const asio::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

ino_t socket_inode(int fd) {
  struct stat st{};
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

std::vector<ProcListener> read_listeners() {
  std::vector<ProcListener> all;
  for (bool v6 : {false, true}) {
    std::ifstream f(v6 ? "/proc/net/tcp6" : "/proc/net/tcp");
    if (!f) continue;
    std::stringstream ss;
    ss << f.rdbuf();
    auto some = parse_proc_net_tcp(ss.str(), v6);
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

// Fails when a socket of another process listens where ours do.
// `listeners`: read once for all the ports being checked (a twemproxy config may bind a hundred, and the
// tables hold every socket of the host, TIME_WAIT ones included).
void check_port_is_ours(const std::vector<ProcListener>& listeners, const asio::ip::address& addr, std::uint16_t port,
                        const std::set<ino_t>& own) {
  auto others = foreign_listeners(listeners, addr, port, own);
  if (others.empty()) return;
  throw std::runtime_error(fmt::format(
      "cannot listen on {}: address already in use (another process listens on {}; is another mcrelay or "
      "mcrouter running on this port?)",
      endpoint_text(addr, port), others.front()));
}

int backlog(const Options& o) {
  return o.tcp_listen_backlog > 0 ? o.tcp_listen_backlog : asio::socket_base::max_listen_connections;
}

std::vector<std::uint16_t> adopt_listen_fd(const Options& o, std::vector<std::unique_ptr<Worker>>& workers) {
  int fd = o.listen_sock_fd;
  int type = 0;
  socklen_t len = sizeof(type);
  sockaddr_storage ss{};
  socklen_t sslen = sizeof(ss);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sslen) != 0 ||
      (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
    throw std::runtime_error(fmt::format("--listen-sock-fd {}: not a TCP socket ({})", fd,
                                         errno ? std::strerror(errno) : "wrong type"));
  }
  // mcrouter takes the socket over and listens on it; listen(2) on a listening socket only sets the backlog.
  if (::listen(fd, backlog(o)) != 0) {
    throw std::runtime_error(fmt::format("--listen-sock-fd {}: listen: {}", fd, std::strerror(errno)));
  }
  auto protocol = ss.ss_family == AF_INET ? tcp::v4() : tcp::v6();
  tcp::endpoint local;
  for (auto& w : workers) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) throw std::runtime_error(fmt::format("--listen-sock-fd {}: dup: {}", fd, std::strerror(errno)));
    tcp::acceptor acc(w->io());
    acc.assign(protocol, copy);
    local = acc.local_endpoint();
    w->add_acceptor(std::move(acc));
  }
  ::close(fd);  // every worker holds a duplicate
  log::notice("listening on {} (inherited socket, fd {}; {} worker{})", endpoint_text(local.address(), local.port()),
              fd, workers.size(), workers.size() == 1 ? "" : "s");
  return {local.port()};
}

}  // namespace

std::vector<ProcListener> parse_proc_net_tcp(const std::string& text, bool v6) {
  // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ..."
  // Addresses are the kernel's in-memory words printed as hex: reinterpreting each 32-bit word gives back
  // the address bytes in order, on any host.
  std::vector<ProcListener> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
    if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
    if (state != "0A") continue;  // TCP_LISTEN
    auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    std::string hex = local.substr(0, colon);
    ProcListener l;
    l.port = static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
    l.inode = static_cast<ino_t>(std::stoull(inode));
    if (!v6 && hex.size() == 8) {
      std::uint32_t word = static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16));
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), &word, 4);
      l.address = asio::ip::address_v4(b);
    } else if (v6 && hex.size() == 32) {
      asio::ip::address_v6::bytes_type b;
      for (int i = 0; i < 4; ++i) {
        std::uint32_t word = static_cast<std::uint32_t>(std::stoul(hex.substr(i * 8, 8), nullptr, 16));
        std::memcpy(b.data() + i * 4, &word, 4);
      }
      asio::ip::address_v6 a(b);
      l.address = a.is_v4_mapped() ? asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, a))
                                   : asio::ip::address(a);
    } else {
      continue;
    }
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> foreign_listeners(const std::vector<ProcListener>& listeners,
                                           const asio::ip::address& address, std::uint16_t port,
                                           const std::set<ino_t>& own_inodes) {
  std::vector<std::string> out;
  for (const auto& l : listeners) {
    if (l.port != port || own_inodes.count(l.inode) != 0) continue;
    // A v6 wildcard listener normally takes IPv4 connections too; treat it as overlapping everything.
    bool overlaps = l.address == address || l.address.is_unspecified() || address.is_unspecified();
    if (overlaps) out.push_back(endpoint_text(l.address, l.port));
  }
  return out;
}

std::vector<std::uint16_t> bind_listeners(const Options& o, std::vector<std::unique_ptr<Worker>>& workers,
                                          const std::vector<config::PoolListener>& pool_listeners) {
  if (o.listen_sock_fd >= 0) return adopt_listen_fd(o, workers);
  if (!o.unix_domain_sock.empty()) {  // as mcrouter: the Unix socket replaces the TCP listeners
    bind_unix_listener(o.unix_domain_sock, backlog(o), workers);
    return {};
  }
  struct Bound {
    asio::ip::address addr;
    std::uint16_t port;
    std::string addr_text;
    std::vector<tcp::acceptor> acceptors;  // one per worker, bound, not yet listening
    std::string default_prefix = {};       // a twemproxy pool's own listen address: its route
    std::string pool = {};
    bool tls = false;                       // an --ssl-port listener
  };
  std::vector<Bound> bound;
  std::set<ino_t> own;
  struct Wanted {
    std::string addr_text;
    std::uint16_t port;
    std::string prefix;
    std::string pool;
    bool tls = false;
  };
  std::vector<Wanted> wanted_list;
  for (const auto& addr_text : o.listen_addresses) {
    for (std::uint16_t port : listen_ports(o)) wanted_list.push_back({addr_text, port, {}, {}});
    for (std::uint16_t port : o.ssl_ports) wanted_list.push_back({addr_text, port, {}, {}, /*tls=*/true});
  }
  // The Unix socket files created here are removed again if a later listener fails (start-up is over then).
  struct UnixFiles {
    std::vector<std::string> paths;
    bool keep = false;
    ~UnixFiles() {
      if (!keep) for (const auto& p : paths) remove_unix_listener(p);
    }
  } unix_files;
  for (const auto& l : pool_listeners) {
    if (!l.unix_path.empty()) {  // twemproxy's "listen: /path/sock 0666"
      bind_unix_listener(l.unix_path, backlog(o), workers, l.unix_mode, l.route_prefix, l.pool);
      unix_files.paths.push_back(l.unix_path);
      continue;
    }
    auto colon = l.address.rfind(':');
    wanted_list.push_back({l.address.substr(0, colon), static_cast<std::uint16_t>(std::stoul(l.address.substr(colon + 1))),
                           l.route_prefix, l.pool});
  }
  for (const auto& want : wanted_list) {
    const auto& addr_text = want.addr_text;
    auto addr = resolve_listen_address(addr_text);
    {
      std::uint16_t wanted = want.port;
      Bound b{addr, wanted, addr_text, {}, want.prefix, want.pool, want.tls};
      for (auto& w : workers) {
        tcp::acceptor acc(w->io());
        tcp::endpoint ep(addr, b.port);
        acc.open(ep.protocol());
        acc.set_option(asio::socket_base::reuse_address(true));
        int one = 1;
        if (::setsockopt(acc.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
          throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        }
        boost::system::error_code ec;
        acc.bind(ep, ec);
        if (ec) {
          throw std::runtime_error(fmt::format("cannot listen on {}: {}", endpoint_text(addr, b.port), ec.message()));
        }
        b.port = acc.local_endpoint().port();  // "-p 0": the first bind picks the port, the others share it
        own.insert(socket_inode(acc.native_handle()));
        b.acceptors.push_back(std::move(acc));
      }
      bound.push_back(std::move(b));
    }
  }
  // Bound but not listening: no connection is routed to our sockets yet, so finding the port taken costs
  // nobody a connection. Checked again once listening, for two processes starting at the same moment.
  auto check_all = [&] {
    const auto listeners = read_listeners();
    for (const auto& b : bound) check_port_is_ours(listeners, b.addr, b.port, own);
  };
  check_all();
  for (auto& b : bound) {
    for (auto& acc : b.acceptors) acc.listen(backlog(o));
  }
  check_all();
  std::vector<std::uint16_t> ports;
  for (auto& b : bound) {
    if (b.tls) {
      for (std::size_t i = 0; i < workers.size(); ++i) workers[i]->add_tls_acceptor(std::move(b.acceptors[i]));
      log::notice("listening on {}:{} (TLS; {} worker{})", b.addr_text, b.port, workers.size(),
                  workers.size() == 1 ? "" : "s");
      continue;
    }
    for (std::size_t i = 0; i < workers.size(); ++i) workers[i]->add_acceptor(std::move(b.acceptors[i]), b.default_prefix);
    if (!b.pool.empty()) {
      log::notice("pool {}: listening on {}:{} ({} worker{})", b.pool, b.addr_text, b.port, workers.size(),
                  workers.size() == 1 ? "" : "s");
      continue;
    }
    log::notice("listening on {}:{} ({} worker{})", b.addr_text, b.port, workers.size(), workers.size() == 1 ? "" : "s");
    ports.push_back(b.port);
  }
  unix_files.keep = true;
  return ports;
}

}  // namespace mcrelay
