#include "proxy/stats_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "proxy/stats_mcrouter.hpp"

namespace mcrelay {

std::string render_destinations(const StatsTotals& t) {
  std::string out;
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("STAT {} state={} requests={} pending={} connections={} errors={}", name,
                       d.tko                      ? "TKO"
                       : d.consecutive_failures > 0 ? "failing"
                       : d.connections > 0          ? "up"
                                                    : "idle",
                       d.requests, d.pending, d.connections,
                       d.errors());
    for (int r = 0; r < kResultCount; ++r) {
      if (is_error(static_cast<Result>(r)) && d.results[r] > 0) {
        out += fmt::format(" {}={}", result_name(static_cast<Result>(r)), d.results[r]);
      }
    }
    std::uint64_t n = d.latency.count();
    out += fmt::format(" avg_latency_us={} p99_latency_us={}\r\n", n ? d.latency.sum_us / n : 0,
                       d.latency.quantile_us(0.99));
  }
  out += "END\r\n";
  return out;
}

std::string render_memcached_stats(const ProcessInfo& server, const StatsTotals& totals, std::string_view group) {
  if (group == "destinations") return render_destinations(totals);
  if (auto out = render_mcrouter_stats(server, totals, group)) return std::move(*out);
  return "CLIENT_ERROR bad stats command\r\n";
}

namespace {

std::string label_escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void histogram(std::string& out, std::string_view name, std::string_view labels, const HistogramSnapshot& h) {
  std::uint64_t cumulative = 0;
  std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += h.buckets[i];
    std::string le = i < LatencyHistogram::kBoundsUs.size()
                         ? fmt::format("{}", static_cast<double>(LatencyHistogram::kBoundsUs[i]) / 1e6)
                         : "+Inf";
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(h.sum_us) / 1e6);
  out += fmt::format("{}_count{} {}\n", name, braces, cumulative);
}

}  // namespace

std::string render_prometheus(const ProcessInfo& server, const StatsTotals& t) {
  auto cfg = server.config();
  std::string out;
  auto help = [&](std::string_view name, std::string_view type, std::string_view text) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, text, name, type);
  };
  help("mcrelay_build_info", "gauge", "Build information; always 1.");
  out += fmt::format("mcrelay_build_info{{version=\"{}\"}} 1\n", MCRELAY_VERSION);
  help("mcrelay_uptime_seconds", "gauge", "Seconds since the proxy started.");
  out += fmt::format("mcrelay_uptime_seconds {}\n", server.uptime_seconds());
  help("mcrelay_workers", "gauge", "Worker threads (event loops).");
  out += fmt::format("mcrelay_workers {}\n", t.workers);
  help("mcrelay_draining", "gauge", "1 while the proxy drains for shutdown.");
  out += fmt::format("mcrelay_draining {}\n", server.draining() ? 1 : 0);
  help("mcrelay_client_connections", "gauge", "Open client connections.");
  out += fmt::format("mcrelay_client_connections {}\n", t.curr_connections);
  help("mcrelay_client_connections_accepted_total", "counter", "Client connections accepted.");
  out += fmt::format("mcrelay_client_connections_accepted_total {}\n", t.total_connections);
  help("mcrelay_client_connections_rejected_total", "counter", "Client connections refused (--max-conns).");
  out += fmt::format("mcrelay_client_connections_rejected_total {}\n", t.rejected_connections);
  help("mcrelay_client_tls_handshakes_total", "counter", "Client TLS handshakes on --ssl-port, by outcome.");
  out += fmt::format("mcrelay_client_tls_handshakes_total{{result=\"ok\"}} {}\n", t.tls_handshakes);
  out += fmt::format("mcrelay_client_tls_handshakes_total{{result=\"failed\"}} {}\n", t.tls_handshake_failures);
  help("mcrelay_upstream_tls_handshakes_total", "counter",
       "Completed TLS handshakes to servers (use_ssl), by whether the last session was resumed.");
  out += fmt::format("mcrelay_upstream_tls_handshakes_total{{session=\"new\"}} {}\n",
                     t.upstream_tls_handshakes - t.upstream_tls_resumed);
  out += fmt::format("mcrelay_upstream_tls_handshakes_total{{session=\"resumed\"}} {}\n", t.upstream_tls_resumed);
  help("mcrelay_requests_total", "counter", "Requests by operation (a multi-key get counts each key).");
  for (int i = 0; i < kOpCount; ++i) {
    out += fmt::format("mcrelay_requests_total{{op=\"{}\"}} {}\n", op_name(static_cast<Op>(i)), t.cmd[i]);
  }
  help("mcrelay_replies_total", "counter", "Replies by operation and result.");
  for (int i = 0; i < kOpCount; ++i) {
    for (int r = 0; r < kResultCount; ++r) {
      if (t.results[i][r] == 0) continue;
      out += fmt::format("mcrelay_replies_total{{op=\"{}\",result=\"{}\"}} {}\n", op_name(static_cast<Op>(i)),
                         result_name(static_cast<Result>(r)), t.results[i][r]);
    }
  }
  help("mcrelay_request_duration_seconds", "histogram", "Time from a request's arrival to its reply being ready.");
  histogram(out, "mcrelay_request_duration_seconds", "", t.latency);
  help("mcrelay_client_errors_total", "counter", "Malformed requests answered by the proxy.");
  out += fmt::format("mcrelay_client_errors_total {}\n", t.client_errors);
  help("mcrelay_bytes_read_total", "counter", "Bytes read from clients.");
  out += fmt::format("mcrelay_bytes_read_total {}\n", t.bytes_read);
  help("mcrelay_bytes_written_total", "counter", "Bytes written to clients.");
  out += fmt::format("mcrelay_bytes_written_total {}\n", t.bytes_written);

  help("mcrelay_destination_up", "gauge", "1 unless the destination is marked down (TKO).");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_up{{server=\"{}\"}} {}\n", label_escape(name), d.tko ? 0 : 1);
  }
  help("mcrelay_destination_consecutive_failures", "gauge",
       "Timeouts and connect failures since the destination last answered (it is marked down at --timeouts-until-tko).");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_consecutive_failures{{server=\"{}\"}} {}\n", label_escape(name),
                       d.consecutive_failures);
  }
  help("mcrelay_destination_tko_total", "counter", "Times the destination was marked down.");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_tko_total{{server=\"{}\"}} {}\n", label_escape(name), d.tko_events);
  }
  help("mcrelay_destination_requests_total", "counter", "Requests sent to the destination.");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_requests_total{{server=\"{}\"}} {}\n", label_escape(name), d.requests);
  }
  help("mcrelay_destination_replies_total", "counter", "Destination replies by result (errors by kind).");
  for (const auto& [name, d] : t.destinations) {
    for (int r = 0; r < kResultCount; ++r) {
      if (d.results[r] == 0) continue;
      out += fmt::format("mcrelay_destination_replies_total{{server=\"{}\",result=\"{}\"}} {}\n", label_escape(name),
                         result_name(static_cast<Result>(r)), d.results[r]);
    }
  }
  help("mcrelay_destination_pending", "gauge", "Requests waiting for the destination's reply.");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_pending{{server=\"{}\"}} {}\n", label_escape(name), d.pending);
  }
  help("mcrelay_destination_connections", "gauge", "Open connections to the destination.");
  for (const auto& [name, d] : t.destinations) {
    out += fmt::format("mcrelay_destination_connections{{server=\"{}\"}} {}\n", label_escape(name), d.connections);
  }
  help("mcrelay_destination_duration_seconds", "histogram", "Time from sending a request to its reply.");
  for (const auto& [name, d] : t.destinations) {
    histogram(out, "mcrelay_destination_duration_seconds", fmt::format("server=\"{}\"", label_escape(name)), d.latency);
  }
  help("mcrelay_config_reloads_total", "counter", "Config reloads by outcome.");
  out += fmt::format("mcrelay_config_reloads_total{{outcome=\"success\"}} {}\n", server.reloads_ok());
  out += fmt::format("mcrelay_config_reloads_total{{outcome=\"failure\"}} {}\n", server.reloads_failed());
  help("mcrelay_config_generation", "gauge", "1 for the config loaded at start, +1 per successful reload.");
  out += fmt::format("mcrelay_config_generation {}\n", cfg->generation);
  help("mcrelay_config_info", "gauge", "The running config; always 1.");
  out += fmt::format("mcrelay_config_info{{md5=\"{}\",source=\"{}\"}} 1\n", cfg->md5, label_escape(cfg->config.source));
  help("mcrelay_config_age_seconds", "gauge", "Seconds since the running config was loaded.");
  out += fmt::format("mcrelay_config_age_seconds {}\n",
                     std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - cfg->loaded_at)
                         .count());
  return out;
}

}  // namespace mcrelay
