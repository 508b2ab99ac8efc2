#pragma once
// mcrouter's `stats` groups, rendered from mcrelay's counters with mcrouter's names and line formats, so that
// what reads mcrouter's stats (the mcrouter Prometheus exporter, telegraf's mcrouter input, dashboards, ad-hoc
// scripts) reads mcrelay's unchanged. Each stat has mcrouter's meaning; a stat mcrelay has no counterpart for
// is reported as 0. mcrelay's own numbers follow in the plain `stats` and in `stats all`, under names mcrouter
// does not use. docs/operations.md lists every line and where its value comes from.
//
// Contract: pure functions of their arguments (the merged StatsTotals and ProcessInfo), callable from any
// thread, like proxy/stats_report.hpp.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/stats_report.hpp"

namespace mcrelay {

// The group masks of mcrouter's stat_list.h that mcrelay answers.
enum StatsGroup : unsigned {
  kStatsBasic = 1u << 0,     // `stats`
  kStatsDetailed = 1u << 1,  // `stats detailed`
  kStatsOds = 1u << 2,       // `stats ods`
  kStatsCount = 1u << 3,     // `stats count`
  kStatsCmdError = 1u << 4,  // `stats cmd-error` (no stat of current mcrouter is in it: answers END)
  kStatsAll = ~0u,           // `stats all`
};

// The mask for `stats <group>`, or nothing for a group that is not one of the above.
std::optional<unsigned> parse_stats_group(std::string_view group);

// `stats`, `stats all|detailed|ods|count|cmd-error`, `stats servers`, `stats suspect_servers` and
// `stats version` as mcrouter answers them; nothing for any other group.
std::optional<std::string> render_mcrouter_stats(const ProcessInfo& process, const StatsTotals& totals,
                                                std::string_view group);

// mcrouter's name of a destination in `stats servers`: "HOST:PORT:ascii:plain:notcompressed-TIMEOUTMS", an
// IPv6 host written out in full inside brackets ("[0000:...:0001]:5000:..."), as mcrouter's AccessPoint does.
std::string mcrouter_server_key(std::string_view host, std::uint16_t port, std::uint32_t timeout_ms);

// The value of one `stats servers` line (everything after the key), in mcrouter's format:
// "avg_latency_us:0.000 pending_reqs:0 inflight_reqs:0[ hard_tko; | soft_tko; ] up:2[; found:3 notfound:1]".
std::string mcrouter_server_line(const DestinationTotals& d);

// mcrouter's name of a command's stats group ("get", "flushall", "lease_get", ... or "other").
std::string_view mcrouter_cmd_group(Op op);

}  // namespace mcrelay
