#include "proxy/stats_mcrouter.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "protocol/op_names.hpp"
#include "proxy/stats_rates.hpp"

namespace mcrelay {

namespace {

// mcrouter's per-command stats groups, in the order they are reported. The lease and metaget groups exist
// for the exporters that read them; a command mcrelay does not know stays at 0.
constexpr std::array<std::string_view, 21> kCmdGroups = {
    "get",     "gets", "gat",  "gats",  "set",      "add",     "replace", "append",    "prepend",   "cas",  "delete",
    "incr",    "decr", "touch", "flushall", "flushre", "metaget", "lease_get", "lease_set", "stats", "other"};

std::size_t cmd_group_index(Op op) {
  std::string_view g = mcrouter_cmd_group(op);
  for (std::size_t i = 0; i < kCmdGroups.size(); ++i) {
    if (kCmdGroups[i] == g) return i;
  }
  return kCmdGroups.size() - 1;
}

// mcrouter's result stats (result_<name>...), from destination replies, and which Results feed each.
struct ResultStat {
  std::string_view name;
  bool (*matches)(Result);
};
constexpr std::array<ResultStat, 10> kResultStats = {{
    {"error", [](Result r) { return is_error(r); }},
    {"connect_error", [](Result r) { return r == Result::connect_error; }},
    {"connect_timeout", [](Result r) { return r == Result::connect_timeout; }},
    {"data_timeout", [](Result r) { return r == Result::timeout; }},
    {"busy", [](Result r) { return r == Result::busy; }},
    {"tko", [](Result r) { return r == Result::tko; }},
    // A server's "ERROR" is the client's mistake (an unknown command), as mcrouter's parser reads it.
    {"client_error", [](Result r) { return r == Result::client_error || r == Result::bad_command; }},
    {"local_error", [](Result r) { return r == Result::local_error; }},
    {"remote_error", [](Result r) { return r == Result::remote_error; }},
    {"deadline_exceeded_error", [](Result) { return false; }},
}};

// carbon's result names (mc_res_ stripped) in carbon's order, for `stats servers`.
constexpr std::array<std::pair<Result, std::string_view>, 17> kCarbonResults = {{
    {Result::deleted, "deleted"},
    {Result::touched, "touched"},
    {Result::found, "found"},
    {Result::not_found, "notfound"},
    {Result::not_stored, "notstored"},
    {Result::ok, "ok"},
    {Result::stored, "stored"},
    {Result::exists, "exists"},
    {Result::timeout, "timeout"},
    {Result::connect_timeout, "connect_timeout"},
    {Result::connect_error, "connect_error"},
    {Result::busy, "busy"},
    {Result::tko, "tko"},
    {Result::bad_command, "bad_command"},
    {Result::client_error, "client_error"},
    {Result::local_error, "local_error"},
    {Result::remote_error, "remote_error"},
}};

// mcrouter prints doubles with printf's %g.
std::string g(double v) { return fmt::format("{:g}", v); }

struct ProcStats {
  std::uint64_t minor_faults = 0, major_faults = 0, vsize = 0, rss = 0;
  double user_s = 0, system_s = 0;
};

// The fields mcrouter reports from /proc/self/stat (proc(5)); zeros when it cannot be read.
ProcStats read_proc_stats() {
  ProcStats p;
  std::ifstream f("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return p;
  std::istringstream in(text.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 of proc(5) (state)
  for (std::string tok; in >> tok;) fields.push_back(tok);
  if (fields.size() < 22) return p;
  auto num = [&](int field) { return std::strtoull(fields[static_cast<std::size_t>(field - 3)].c_str(), nullptr, 10); };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  p.minor_faults = num(10);
  p.major_faults = num(12);
  p.user_s = static_cast<double>(num(14)) / ticks;
  p.system_s = static_cast<double>(num(15)) / ticks;
  p.vsize = num(23);
  p.rss = num(24) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return p;
}

std::uint32_t server_timeout_of(const std::map<std::string, std::uint32_t>& timeouts, const std::string& name,
                                std::uint32_t fallback) {
  auto it = timeouts.find(name);
  return it == timeouts.end() ? fallback : it->second;
}

// Each server's reply timeout, part of its name in `stats servers` (the first pool naming it wins).
std::map<std::string, std::uint32_t> server_timeouts(const ProcessInfo& server) {
  std::map<std::string, std::uint32_t> out;
  auto cfg = server.config();
  for (const auto& [_, pool] : cfg->config.pools) {
    for (const auto& s : pool.servers) {
      out.emplace(s.text, pool.server_timeout_ms.value_or(server.options().server_timeout_ms));
    }
  }
  return out;
}

// A server reached over TLS (pool "use_ssl", or its address's security field): mcrouter names its
// security mechanism "ssl" in `stats servers`.
bool uses_tls(const ProcessInfo& server, const std::string& name) {
  auto cfg = server.config();
  for (const auto& [_, pool] : cfg->config.pools) {
    for (const auto& s : pool.servers) {
      if (s.text == name && (s.use_ssl || pool.use_ssl)) return true;
    }
  }
  return false;
}

std::string key_of(const ProcessInfo& server, const std::map<std::string, std::uint32_t>& timeouts,
                   const std::string& name, const DestinationTotals& d) {
  std::uint32_t timeout = server_timeout_of(timeouts, name, server.options().server_timeout_ms);
  std::string key = d.host.empty() ? fmt::format("{}:ascii:plain:notcompressed-{}", name, timeout)
                                   : mcrouter_server_key(d.host, d.port, timeout);
  if (uses_tls(server, name)) {
    if (auto at = key.rfind(":ascii:plain:"); at != std::string::npos) key.replace(at, 13, ":ascii:ssl:");
  }
  return key;
}

std::string render_servers(const ProcessInfo& server, const StatsTotals& t) {
  auto timeouts = server_timeouts(server);
  std::string out;
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("STAT {} {}\r\n", key_of(server, timeouts, name, d), mcrouter_server_line(d));
  }
  out += "END\r\n";
  return out;
}

// mcrouter lists the servers its TKO tracker counts failures for: marked down ("tko") or failing ("down").
std::string render_suspect_servers(const ProcessInfo& server, const StatsTotals& t) {
  auto timeouts = server_timeouts(server);
  std::string out;
  for (const auto& [name, d] : t.destinations) {
    if (!d.tko && d.consecutive_failures == 0) continue;
    out += fmt::format("STAT {} status:{} num_failures:{}\r\n", key_of(server, timeouts, name, d),
                       d.tko ? "tko" : "down", d.consecutive_failures);
  }
  out += "END\r\n";
  return out;
}

std::string render_groups(const ProcessInfo& server, const StatsTotals& t, unsigned want) {
  const auto cfg = server.config();
  const auto now = std::chrono::system_clock::now();
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto uptime = server.uptime_seconds();
  const auto loaded_at =
      std::chrono::duration_cast<std::chrono::seconds>(cfg->loaded_at.time_since_epoch()).count();

  // Per-command and per-result counts, and their rates (one vector, one rates() call).
  std::array<std::uint64_t, kCmdGroups.size()> in{}, out_cmd{};
  for (int i = 0; i < kOpCount; ++i) {
    Op op = static_cast<Op>(i);
    if (op == Op::quit) continue;
    in[cmd_group_index(op)] += t.cmd[i];
    out_cmd[cmd_group_index(op)] += t.upstream_cmd[i];
  }
  std::array<std::uint64_t, kResultStats.size()> results{};
  std::uint64_t sent = 0, errors = 0;
  for (const auto& [_, d] : t.destinations) {
    for (int r = 0; r < kResultCount; ++r) {
      sent += d.results[r];
      if (is_error(static_cast<Result>(r))) errors += d.results[r];
      for (std::size_t k = 0; k < kResultStats.size(); ++k) {
        if (kResultStats[k].matches(static_cast<Result>(r))) results[k] += d.results[r];
      }
    }
  }
  std::uint64_t replied = 0, final_errors = 0;
  for (int i = 0; i < kOpCount; ++i) {
    for (int r = 0; r < kResultCount; ++r) {
      replied += t.results[i][r];
      if (is_error(static_cast<Result>(r))) final_errors += t.results[i][r];
    }
  }
  std::vector<std::uint64_t> counts(in.begin(), in.end());
  counts.insert(counts.end(), out_cmd.begin(), out_cmd.end());
  counts.insert(counts.end(), results.begin(), results.end());
  counts.insert(counts.end(), {sent, errors, sent - errors, replied, final_errors});
  const std::vector<double> rate = server.stats_rates().rates(counts);
  const std::size_t kOut = kCmdGroups.size(), kRes = 2 * kCmdGroups.size(), kReq = kRes + kResultStats.size();

  std::uint64_t servers = 0, suspect = 0, dest_inflight = 0;
  std::array<std::uint64_t, DestinationTotals::kStates> states{};
  for (const auto& [_, d] : t.destinations) {
    for (int s = 0; s < DestinationTotals::kStates; ++s) {
      states[s] += d.states[s];
      servers += d.states[s];
    }
    if (d.tko || d.consecutive_failures > 0) ++suspect;
    dest_inflight += d.pending;
  }
  const std::uint64_t latency_n = t.latency.count();
  const std::uint64_t avg_latency = latency_n ? t.latency.sum_us / latency_n : 0;
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  const ProcStats ps = read_proc_stats();

  std::string out;
  auto add = [&](unsigned groups, std::string_view name, const auto& value) {
    if (groups & want) out += fmt::format("STAT {} {}\r\n", name, value);
  };
  constexpr unsigned B = kStatsBasic, D = kStatsDetailed, O = kStatsOds, C = kStatsCount;

  add(B | D, "version", "mcrelay " MCRELAY_VERSION);
  const Options& opts = server.options();
  add(B | D, "commandargs", opts.enable_admin_keys ? opts.command_args : opts.command_args_redacted);
  add(B | D, "pid", ::getpid());
  add(B | D, "parent_pid", ::getppid());
  add(B | D, "time", unix_now);
  add(B | D | O, "uptime", uptime);
  add(D | O, "num_client_connections", t.curr_connections);
  add(B | D | O, "num_servers", servers);
  add(B | D | O, "num_servers_new", states[DestinationTotals::kNew]);
  add(B | D | O, "num_servers_up", states[DestinationTotals::kUp]);
  add(B | D | O, "num_servers_down", states[DestinationTotals::kDown]);
  add(B | D | O, "num_servers_closed", states[DestinationTotals::kClosed]);
  add(B | D | O, "num_clients", t.curr_connections);
  add(B | D | O, "num_suspect_servers", suspect);
  add(B | D | O, "num_connections_opened", t.upstream_connects - t.upstream_connect_errors);
  add(B | D | O, "num_connections_closed", t.upstream_resets);
  add(B, "destination_batches_sum", 0);
  add(B, "destination_requests_sum", 0);
  for (std::string_view name : {"outstanding_route_get_reqs_queued", "outstanding_route_update_reqs_queued",
                                "outstanding_route_get_avg_queue_size", "outstanding_route_update_avg_queue_size",
                                "outstanding_route_get_avg_wait_time_sec",
                                "outstanding_route_update_avg_wait_time_sec", "retrans_closed_connections"}) {
    add(B | O, name, 0);
  }
  add(B | O, "destination_pending_reqs", 0);
  add(B | O, "destination_inflight_reqs", dest_inflight);
  add(B | O, "destination_batch_size", 0);
  add(B | O, "asynclog_requests", server.spooled_deletes());
  add(B | O, "num_proxies", t.workers);
  add(B | O, "proxy_reqs_processing", t.requests_processing);
  add(B | O, "proxy_reqs_waiting", 0);
  add(B | O, "client_queue_notify_period", 0);
  add(B | D, "rusage_system", g(static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6));
  add(B | D, "rusage_user", g(static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6));
  add(B | D, "ps_num_minor_faults", ps.minor_faults);
  add(B | D, "ps_num_major_faults", ps.major_faults);
  add(B | D, "ps_user_time_sec", g(ps.user_s));
  add(B | D, "ps_system_time_sec", g(ps.system_s));
  add(B | D, "ps_vsize", ps.vsize);
  add(B | O, "ps_rss", ps.rss);
  add(B | O, "fibers_allocated", 0);
  add(B | O, "fibers_pool_size", 0);
  add(B | O, "fibers_stack_high_watermark", 0);
  add(B | O, "successful_client_connections", t.total_connections);
  add(B | O, "duration_us", avg_latency);
  add(B | O, "duration_get_us", 0);
  add(B | O, "duration_update_us", 0);
  add(B | O, "destination_max_pending_reqs", 0);
  add(B | O, "destination_max_inflight_reqs", 0);
  add(B | O, "retrans_per_kbyte_max", 0);
  add(D | O, "proxy_request_num_outstanding", t.requests_processing);
  add(D, "dev_null_requests", 0);
  add(D | O | C, "rate_limited_log_count", 0);
  add(C, "request_sent_count", sent);
  add(C, "request_error_count", errors);
  add(C, "request_success_count", sent - errors);
  add(C, "request_replied_count", replied);
  add(D | O, "request_sent", g(rate[kReq]));
  add(D | O, "request_error", g(rate[kReq + 1]));
  add(D | O, "request_success", g(rate[kReq + 2]));
  add(D | O, "request_replied", g(rate[kReq + 3]));
  add(D | O, "final_result_error", g(rate[kReq + 4]));
  for (std::size_t k = 0; k < kResultStats.size(); ++k) {
    // mcrelay does not tell failover and shadow requests apart here: the "_all" stats equal the plain ones.
    add(O | C, fmt::format("result_{}_count", kResultStats[k].name), results[k]);
    add(O | C, fmt::format("result_{}_all_count", kResultStats[k].name), results[k]);
    add(D | O, fmt::format("result_{}", kResultStats[k].name), g(rate[kRes + k]));
    add(D | O, fmt::format("result_{}_all", kResultStats[k].name), g(rate[kRes + k]));
  }
  add(D | O, "config_age", unix_now - loaded_at);
  add(D | O, "config_last_attempt", loaded_at);
  add(D | O, "config_last_success", loaded_at);
  add(D | O, "config_failures", server.reloads_failed());
  add(D | O, "configs_from_disk", 0);
  add(D | O, "start_time", unix_now - uptime);
  // Carbon's request stats: incoming count, and incoming / sent / all sent per second.
  for (std::size_t i = 0; i < kCmdGroups.size(); ++i) {
    std::string_view name = kCmdGroups[i];
    add(B | D | O | C, fmt::format("cmd_{}_count", name), in[i]);
    add(B | D | O, fmt::format("cmd_{}", name), g(rate[i]));
    add(B | D | O, fmt::format("cmd_{}_out", name), g(rate[kOut + i]));
    add(B | D | O, fmt::format("cmd_{}_out_all", name), g(rate[kOut + i]));
    add(C, fmt::format("cmd_{}_out_count", name), out_cmd[i]);
    add(C, fmt::format("cmd_{}_out_all_count", name), out_cmd[i]);
  }

  // mcrelay's own numbers (plain `stats` and `stats all`), under names mcrouter does not use.
  constexpr unsigned M = kStatsBasic;
  add(M, "threads", t.workers);
  add(M, "curr_connections", t.curr_connections);
  add(M, "total_connections", t.total_connections);
  add(M, "rejected_connections", t.rejected_connections);
  std::uint64_t retrieval_keys = 0, storage = 0;
  for (int i = 0; i < kOpCount; ++i) {
    if (is_retrieval(static_cast<Op>(i))) retrieval_keys += t.cmd[i];
    if (is_storage(static_cast<Op>(i))) storage += t.cmd[i];
  }
  add(M, "retrieval_keys", retrieval_keys);
  add(M, "storage_commands", storage);
  add(M, "get_hits", t.get_hits);
  add(M, "get_misses", t.get_misses);
  add(M, "get_errors", t.get_errors);
  for (int i = 0; i < kOpCount; ++i) {
    // Commands without a group of their own in mcrouter's list (they are in cmd_other_count).
    Op op = static_cast<Op>(i);
    if (op == Op::quit || op == Op::me || mcrouter_cmd_group(op) != "other") continue;
    add(M, fmt::format("cmd_{}_count", op_name(op)), t.cmd[i]);
  }
  add(M, "client_errors", t.client_errors);
  add(M, "bytes_read", t.bytes_read);
  add(M, "bytes_written", t.bytes_written);
  add(M, "request_avg_latency_us", avg_latency);
  add(M, "request_p99_latency_us", t.latency.quantile_us(0.99));
  add(M, "upstream_requests", t.upstream_requests);
  add(M, "upstream_errors", t.upstream_errors);
  add(M, "upstream_timeouts", t.upstream_timeouts);
  add(M, "upstream_connects", t.upstream_connects);
  add(M, "upstream_connect_errors", t.upstream_connect_errors);
  add(M, "tls_handshakes", t.tls_handshakes);
  add(M, "tls_handshake_failures", t.tls_handshake_failures);
  add(M, "upstream_tls_handshakes", t.upstream_tls_handshakes);
  add(M, "upstream_tls_resumed", t.upstream_tls_resumed);
  std::uint64_t up = 0, tko = 0;
  for (const auto& [_, d] : t.destinations) (d.tko ? tko : up) += 1;
  add(M, "destinations_up", up);
  add(M, "destinations_tko", tko);
  if (!(want & kStatsDetailed)) add(M, "config_age", unix_now - loaded_at);  // detailed has it already
  add(M, "config_md5_digest", cfg->md5);
  add(M, "config_generation", cfg->generation);
  add(M, "config_reloads", server.reloads_ok());
  add(M, "config_reload_failures", server.reloads_failed());
  out += "END\r\n";
  return out;
}

}  // namespace

std::string_view mcrouter_cmd_group(Op op) { return mcrouter_stats_group(op); }  // protocol/op_names.cpp's table

std::optional<unsigned> parse_stats_group(std::string_view group) {
  if (group.empty()) return kStatsBasic;
  if (group == "all") return kStatsAll;
  if (group == "detailed") return kStatsDetailed;
  if (group == "ods") return kStatsOds;
  if (group == "count") return kStatsCount;
  if (group == "cmd-error") return kStatsCmdError;
  return std::nullopt;
}

std::optional<std::string> render_mcrouter_stats(const ProcessInfo& server, const StatsTotals& totals,
                                                std::string_view group) {
  if (group == "version") return "STAT mcrouter-version mcrelay " MCRELAY_VERSION "\r\nEND\r\n";
  if (group == "servers") return render_servers(server, totals);
  if (group == "suspect_servers") return render_suspect_servers(server, totals);
  auto mask = parse_stats_group(group);
  if (!mask) return std::nullopt;
  return render_groups(server, totals, *mask);
}

std::string mcrouter_server_key(std::string_view host, std::uint16_t port, std::uint32_t timeout_ms) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  std::string h(host);
  if (!ec && addr.is_v6()) {
    auto b = addr.to_v6().to_bytes();
    std::vector<std::string> groups;
    for (std::size_t i = 0; i < b.size(); i += 2) groups.push_back(fmt::format("{:02x}{:02x}", b[i], b[i + 1]));
    h = fmt::format("[{}]", fmt::join(groups, ":"));
  } else if (!ec) {
    h = addr.to_string();
  }
  return fmt::format("{}:{}:ascii:plain:notcompressed-{}", h, port, timeout_ms);
}

std::string mcrouter_server_line(const DestinationTotals& d) {
  std::uint64_t n = d.latency.count();
  double avg = n ? static_cast<double>(d.latency.sum_us) / static_cast<double>(n) : 0.0;
  // mcrelay does not tell queued from written requests: every request waiting for a reply is "inflight".
  std::string out = fmt::format("avg_latency_us:{:.3f} pending_reqs:0 inflight_reqs:{}", avg, d.pending);
  if (d.tko) {
    // mcrouter: a hard TKO for a server that cannot be reached, a soft one for a slow one.
    bool hard = d.last_failure_result == Result::connect_error || d.last_failure_result == Result::connect_timeout;
    out += hard ? " hard_tko; " : " soft_tko; ";
  }
  static constexpr std::array<std::string_view, DestinationTotals::kStates> kStateNames = {"new", "up", "closed",
                                                                                           "down"};
  for (int s = 0; s < DestinationTotals::kStates; ++s) {
    if (d.states[s] > 0) out += fmt::format(" {}:{}", kStateNames[s], d.states[s]);
  }
  bool first = true;
  for (const auto& [r, name] : kCarbonResults) {
    std::uint64_t v = d.results[static_cast<int>(r)];
    if (v == 0) continue;
    out += fmt::format("{} {}:{}", first ? ";" : "", name, v);
    first = false;
  }
  return out;
}

}  // namespace mcrelay
