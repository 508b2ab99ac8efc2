#include "proxy/proxy_server.hpp"

#include <unistd.h>

#include <functional>

#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "config/config_error.hpp"
#include "routes/hash/md5.hpp"
#include "proxy/config_watcher.hpp"
#include "proxy/util/logging.hpp"

namespace mcrelay {

namespace asio = boost::asio;

ProxyServer::ProxyServer(Options options, std::shared_ptr<const LoadedConfig> config)
    : options_(std::move(options)), health_(options_.timeouts_until_tko), config_(std::move(config)) {
  unsigned n = options_.num_proxies ? options_.num_proxies : available_cpus();
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, *this, options_));
}

ProxyServer::~ProxyServer() {
  for (auto& w : workers_) w->join();
}

void ProxyServer::bind_listeners() {
  for (const auto& addr_text : options_.listen_addresses) {
    auto addr = asio::ip::make_address(addr_text);
    std::uint16_t port = options_.port;
    for (auto& w : workers_) {
      // Every worker has its own listening socket on the same port; the kernel spreads connections.
      asio::ip::tcp::acceptor acc(w->io());
      asio::ip::tcp::endpoint ep(addr, port);
      acc.open(ep.protocol());
      acc.set_option(asio::socket_base::reuse_address(true));
      int one = 1;
      if (::setsockopt(acc.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
      }
      acc.bind(ep);
      acc.listen(asio::socket_base::max_listen_connections);
      port = acc.local_endpoint().port();  // "-p 0": the first bind picks the port, the others share it
      w->add_acceptor(std::move(acc));
    }
    log::info("listening on {}:{} ({} worker{})", addr_text, port, workers_.size(), workers_.size() == 1 ? "" : "s");
  }
}

int ProxyServer::run() {
  for (auto& w : workers_) w->install_config(config_);
  bind_listeners();
  for (auto& w : workers_) w->start();

  std::unique_ptr<ConfigWatcher> watcher;
  if (!config_->file.empty()) {
    watcher = std::make_unique<ConfigWatcher>(control_, config_->file, [this](const char* why) { reload(why); });
    watcher->start();
  }
  asio::signal_set signals(control_, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload("SIGHUP");
      signals.async_wait(on_signal);
      return;
    }
    log::info("received signal {}; stopping", sig);
    if (watcher) watcher->stop();
    for (auto& w : workers_) w->stop();
    control_.stop();
  };
  signals.async_wait(on_signal);
  control_.run();
  for (auto& w : workers_) w->join();
  log::info("stopped");
  return 0;
}

void ProxyServer::reload(const char* why) {
  auto current = config();
  if (current->file.empty()) {
    log::info("reload ({}): the config was not loaded from a file; nothing to reload", why);
    return;
  }
  std::string text;
  try {
    text = read_config_file(current->file);
  } catch (const config::ConfigError& e) {
    if (last_failed_md5_ != "unreadable") {
      log::error("config reload ({}): {}; keeping the running config", why, e.what());
      reloads_failed_.fetch_add(1, std::memory_order_relaxed);
      last_failed_md5_ = "unreadable";
    }
    return;
  }
  std::string md5 = md5_hex(text);
  if (md5 == current->md5) {
    last_failed_md5_.clear();
    return;  // the file was touched but says the same thing
  }
  if (md5 == last_failed_md5_) return;  // already reported
  try {
    auto next = load_config_text(text, current->file, current->route_prefix);
    next->file = current->file;
    next->generation = current->generation + 1;
    std::shared_ptr<const LoadedConfig> published = next;
    std::atomic_store(&config_, published);
    for (auto& w : workers_) w->install_config(published);
    reloads_ok_.fetch_add(1, std::memory_order_relaxed);
    last_failed_md5_.clear();
    log::info("config reloaded ({}): {} generation {} md5 {}", why, published->config.source, published->generation,
              published->md5);
  } catch (const config::ConfigError& e) {
    reloads_failed_.fetch_add(1, std::memory_order_relaxed);
    last_failed_md5_ = md5;
    log::error("config reload ({}) rejected: {}; keeping the running config (md5 {})", why, e.what(), current->md5);
  }
}

std::string ProxyServer::render_stats(std::string_view args) const {
  if (!args.empty()) return "ERROR\r\n";  // stats groups are the proxy's own; none besides the default yet
  std::uint64_t curr = 0, total = 0, hits = 0, misses = 0, get_errors = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t client_errors = 0, up_req = 0, up_err = 0, up_timeouts = 0, up_connects = 0, up_conn_err = 0;
  std::uint64_t cmd[kOpCount] = {};
  for (const auto& w : workers_) {
    const WorkerStats& s = w->stats();
    curr += s.curr_connections.get();
    total += s.total_connections.get();
    hits += s.get_hits.get();
    misses += s.get_misses.get();
    get_errors += s.get_errors.get();
    bytes_in += s.bytes_read.get();
    bytes_out += s.bytes_written.get();
    client_errors += s.client_errors.get();
    up_req += s.upstream_requests.get();
    up_err += s.upstream_errors.get();
    up_timeouts += s.upstream_timeouts.get();
    up_connects += s.upstream_connects.get();
    up_conn_err += s.upstream_connect_errors.get();
    for (int i = 0; i < kOpCount; ++i) cmd[i] += s.cmd[i].get();
  }
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  auto cfg = config();
  auto config_age =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - cfg->loaded_at).count();
  std::string out;
  auto stat = [&](std::string_view name, auto value) { out += fmt::format("STAT {} {}\r\n", name, value); };
  stat("pid", ::getpid());
  stat("uptime", uptime);
  stat("time", std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count());
  stat("version", "mcrelay " MCRELAY_VERSION);
  stat("threads", workers_.size());
  stat("curr_connections", curr);
  stat("total_connections", total);
  std::uint64_t gets = cmd[int(Op::get)] + cmd[int(Op::gets)] + cmd[int(Op::gat)] + cmd[int(Op::gats)];
  std::uint64_t sets = cmd[int(Op::set)] + cmd[int(Op::add)] + cmd[int(Op::replace)] + cmd[int(Op::append)] +
                       cmd[int(Op::prepend)] + cmd[int(Op::cas)];
  stat("cmd_get", gets);
  stat("cmd_set", sets);
  stat("get_hits", hits);
  stat("get_misses", misses);
  stat("get_errors", get_errors);
  for (int i = 0; i < kOpCount; ++i) {
    if (Op(i) == Op::get || Op(i) == Op::gets || Op(i) == Op::gat || Op(i) == Op::gats || Op(i) == Op::stats ||
        Op(i) == Op::quit || Op(i) == Op::me) {
      continue;
    }
    stat(fmt::format("cmd_{}_count", op_name(Op(i))), cmd[i]);
  }
  stat("client_errors", client_errors);
  stat("bytes_read", bytes_in);
  stat("bytes_written", bytes_out);
  stat("upstream_requests", up_req);
  stat("upstream_errors", up_err);
  stat("upstream_timeouts", up_timeouts);
  stat("upstream_connects", up_connects);
  stat("upstream_connect_errors", up_conn_err);
  stat("config_age", config_age);
  stat("config_md5_digest", cfg->md5);
  stat("config_generation", cfg->generation);
  stat("config_reloads", reloads_ok());
  stat("config_reload_failures", reloads_failed());
  out += "END\r\n";
  return out;
}

}  // namespace mcrelay
