#pragma once
// Server stats through the proxy: `stats settings|items|slabs|sizes` asked of every memcached server the
// running config routes to, and their replies merged into one reply keyed as memcached keys it, so that a
// memcached stats parser (memcached's Prometheus exporter, collectd, scripts) can read a whole cluster
// through one mcrelay. `stats <group> <server>` answers one server's reply as it sent it.
//
// Merge rules (docs/operations.md#server-stats-through-the-proxy): a value every server reports the same is
// reported once; integers are summed (item counts, memory, evictions: the cluster's total), except those that
// are not amounts: ages and sizes of a slab class take the largest (`age`, `evicted_time`, `chunk_size`,
// `chunks_per_page`, ...), and for `stats settings` only capacities are summed (`maxbytes`, `maxconns`,
// `num_threads`), other differing numbers take the smallest (the limit that holds on every server); a
// differing non-number takes the first server's value (config order of server names).
//
// Contract: query_server_stats() runs on a worker thread and calls `done` once, on that thread, when every
// server has answered or failed. merge_server_stats() is a pure function (unit-tested).
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_function.hpp"

namespace mcrelay {

class Worker;

// True when `args` (what follows "stats ") names a group answered by the servers.
bool is_server_stats_group(std::string_view args);

// Sends `stats <group>` to every server (or the one named) and calls `done` with the full reply text:
// STAT lines and END, or an error line.
void query_server_stats(Worker& worker, std::string_view args, UniqueFunction<void(std::string)> done);

// Merges the STAT lines of several servers' replies to `stats <group>` (each block: "STAT a b\r\n..." without
// END) into STAT lines, END included.
std::string merge_server_stats(std::string_view group, const std::vector<std::string>& blocks);

}  // namespace mcrelay
