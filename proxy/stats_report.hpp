#pragma once
// Stats reports: the process's totals (StatsTotals, merged from the workers' snapshots:
// proxy/stats_snapshot.hpp, proxy/stats_collector.hpp) rendered three ways: memcached's `stats` (STAT lines),
// `stats servers` (one line per destination) and Prometheus text (/metrics).
//
// Contract: pure functions of their arguments, callable from any thread (worker threads answer `stats`; the
// control thread answers /metrics and writes the stats files); ProcessInfo's own contract says what it reads.
#include <string>
#include <string_view>

#include "proxy/process_info.hpp"
#include "proxy/stats_snapshot.hpp"

namespace mcrelay {


// `stats [group]` on the proxy port: mcrouter's groups ("", all, detailed, ods, count, cmd-error, servers,
// suspect_servers, version: proxy/stats_mcrouter.hpp) and mcrelay's `destinations`; anything else:
// mcrouter's "CLIENT_ERROR bad stats command". The server groups (settings, items, ...) are asked of the
// servers by the client session instead (proxy/server_stats.hpp).
std::string render_memcached_stats(const ProcessInfo& process, const StatsTotals& totals, std::string_view group);
// mcrelay's own per-server view, `stats destinations` (one line per server: state=... requests=...).
std::string render_destinations(const StatsTotals& t);
std::string render_prometheus(const ProcessInfo& process, const StatsTotals& totals);

}  // namespace mcrelay
