#include "proxy/option_table.hpp"

#include <cstdlib>
#include <sstream>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "proxy/options.hpp"

namespace mcrelay {
namespace {

using A = OptionArg;
using E = OptionEffect;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// ---- generic setters: a member and its range, so the table stays one line per option ----------------

template <auto Member, std::uint64_t Min, std::uint64_t Max>
std::string set_uint(Options& o, const std::string& v) {
  auto n = parse_uint64(v);
  if (!n || *n < Min || *n > Max) return fmt::format("a number from {} to {}", Min, Max);
  o.*Member = static_cast<std::remove_reference_t<decltype(o.*Member)>>(*n);
  return "";
}

template <auto Member>
std::string set_string(Options& o, const std::string& v) {
  o.*Member = v;
  return "";
}

template <auto Member>
std::string set_flag(Options& o, const std::string& v) {
  o.*Member = (v == "1");
  return "";
}

constexpr std::uint64_t kHour = 3600000;

// ---- setters with their own rules -------------------------------------------------------------------

// "A,B,...": one or more ports; empty when any is not a port (the caller reports kPortList).
constexpr const char* kPortList = "ports from 0 to 65535, comma-separated";
std::vector<std::uint16_t> parse_port_list(const std::string& v) {
  std::vector<std::uint16_t> ports;
  for (const auto& p : split_commas(v)) {
    auto n = parse_uint64(p);
    if (!n || *n > 65535) return {};
    ports.push_back(static_cast<std::uint16_t>(*n));
  }
  return ports;
}

std::string set_ports(Options& o, const std::string& v) {
  auto ports = parse_port_list(v);
  if (ports.empty()) return kPortList;
  o.ports = ports;
  o.port = ports.front();
  return "";
}

// --ssl-port A,B (TLS listeners) and --unix-domain-sock PATH (docs/tls.md).
std::string set_ssl_ports(Options& o, const std::string& v) {
  auto ports = parse_port_list(v);
  if (ports.empty()) return kPortList;
  o.ssl_ports = ports;
  return "";
}

std::string set_unix_domain_sock(Options& o, const std::string& v) {
  if (v.empty()) return "a path";
  // sockaddr_un's sun_path: 108 bytes with the terminating NUL.
  if (v.size() > 107) return "a path of at most 107 bytes (the limit of a Unix socket address)";
  o.unix_domain_sock = v;
  return "";
}

std::string set_listen_addresses(Options& o, const std::string& v) {
  auto a = split_commas(v);
  if (a.empty()) return "addresses, comma-separated";
  o.listen_addresses = std::move(a);
  return "";
}

std::string set_config_file(Options& o, const std::string& v) {
  o.config = "file:" + v;
  return "";
}

std::string set_num_proxies(Options& o, const std::string& v) {
  if (v == "auto") {
    o.num_proxies = available_cpus();
    return "";
  }
  return set_uint<&Options::num_proxies, 1, 1024>(o, v);
}

std::string set_retry_timeout(Options& o, const std::string& v) {
  o.notes.push_back("--retry-timeout is deprecated, use --probe-timeout-initial");
  return set_uint<&Options::probe_timeout_initial_ms, 0, kHour>(o, v);
}

std::string set_client_outstanding_reqs(Options& o, const std::string& v) {
  if (v == "0") {  // mcrouter: 0 disables the limit
    o.max_client_outstanding = 1 << 20;
    return "";
  }
  return set_uint<&Options::max_client_outstanding, 1, (1 << 20)>(o, v);
}

std::string set_max_item_size(Options& o, const std::string& v) {
  auto s = parse_size(v);
  if (!s || *s < 1024 || *s > 1024ull * 1024 * 1024) return "1k..1g";
  o.max_item_size = *s;
  return "";
}

std::string set_client_queued_bytes(Options& o, const std::string& v) {
  auto s = parse_size(v);
  if (!s || *s < 64 * 1024) return "at least 64k";
  o.max_client_queued_bytes = *s;
  return "";
}

std::string set_admin_port(Options& o, const std::string& v) {
  auto n = parse_uint64(v);
  if (!n || *n > 65535) return "a port from 0 to 65535";
  o.admin_port = static_cast<int>(*n);
  return "";
}

std::string set_log_format(Options& o, const std::string& v) {
  if (v != "text" && v != "json") return "text, json";
  o.log_format = v;
  return "";
}

std::string set_verbosity(Options& o, const std::string& v) {
  auto n = parse_uint64(v);
  if (!n) return "a number: 0 warn, 1 info, 2+ debug";
  o.log_level = verbosity_log_level(static_cast<unsigned>(std::min<std::uint64_t>(*n, 1000)));
  return "";
}

std::string set_validate(Options& o, const std::string& v) {
  if (v.empty() || v == "exit") {
    o.validate_config = true;
    o.validate_config_run = false;
  } else if (v == "run") {
    o.validate_config = false;
    o.validate_config_run = true;
  } else {
    return "exit or run";
  }
  return "";
}

std::string set_config_params(Options& o, const std::string& v) {
  // mcrouter's string map: "name1:value1,name2:value2"; every value is a string.
  for (const auto& item : split_commas(v)) {
    auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0) return "name:value pairs, comma-separated";
    o.config_params[item.substr(0, colon)] = item.substr(colon + 1);
  }
  return "";
}

std::string set_service_name(Options& o, const std::string& v) {
  // mcrouter accepts [a-zA-Z0-9_-]+ (it becomes part of the stats file names).
  if (v.empty() || v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                       std::string::npos) {
    return "letters, digits, '_' and '-'";
  }
  o.service_name = v;
  return "";
}

std::string set_listen_sock_fd(Options& o, const std::string& v) {
  if (v == "-1") {
    o.listen_sock_fd = -1;
    return "";
  }
  return set_uint<&Options::listen_sock_fd, 0, 1 << 20>(o, v);
}

std::string set_core_multiplier(Options& o, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(d >= 0) || d > 1024) return "a number from 0 to 1024";
  o.core_multiplier = d;
  return "";
}

std::string disable_admin_keys(Options& o, const std::string&) {
  o.enable_admin_keys = false;
  return "";
}

std::string set_route_key(Options& o, const std::string& v) {
  auto space = v.find(' ');
  o.route_key = {v.substr(0, space), v.substr(space + 1)};
  return "";
}

// ---- the table ----------------------------------------------------------------------------------------
// Order: mcrouter's groups as its --help prints them, then its main()'s own, then mcrelay's own options.
// An option with no setter and effect acts would be a bug: test_options.cpp checks the table.

const OptionSpec kOptions[] = {
    // mcrouter_options_list.h: Startup
    {"asynclog-disable", 0, A::toggle, E::acts, set_flag<&Options::asynclog_disable>},
    {"async-dir", 'a', A::required, E::acts, set_string<&Options::async_dir>},
    {"use-asynclog-version2", 0, A::toggle, E::no_effect, nullptr},
    {"num-proxies", 0, A::required, E::acts, set_uint<&Options::num_proxies, 1, 1024>},
    {"use-mux-io-thread-pool", 0, A::toggle, E::no_effect, nullptr},
    {"big-value-split-threshold", 0, A::required, E::acts,
     set_uint<&Options::big_value_split_threshold, 0, (1ull << 30)>},
    {"big-value-batch-size", 0, A::required, E::no_effect, nullptr},
    {"big-value-hide-reply-flag", 0, A::toggle, E::no_effect, nullptr},
    {"fibers-max-pool-size", 0, A::required, E::no_effect, nullptr},
    {"fibers-stack-size", 0, A::required, E::no_effect, nullptr},
    {"fibers-record-stack-size-every", 0, A::required, E::no_effect, nullptr},
    {"disable-fibers-use-guard-pages", 0, A::toggle, E::no_effect, nullptr, true},
    {"runtime-vars-file", 0, A::required, E::no_effect, nullptr},
    {"file-observer-poll-period-ms", 0, A::required, E::no_effect, nullptr},
    {"file-observer-sleep-before-update-ms", 0, A::required, E::no_effect, nullptr},
    {"fibers-pool-resize-period-ms", 0, A::required, E::no_effect, nullptr},
    // Network
    {"keepalive-count", 'K', A::required, E::acts, set_uint<&Options::keepalive_count, 0, 1000>},
    {"keepalive-interval", 'i', A::required, E::acts, set_uint<&Options::keepalive_interval_s, 1, 86400>},
    {"keepalive-idle", 'I', A::required, E::acts, set_uint<&Options::keepalive_idle_s, 1, 86400>},
    {"max-no-flush-event-loops", 0, A::required, E::no_effect, nullptr},
    {"reset-inactive-connection-interval", 0, A::required, E::acts,
     set_uint<&Options::reset_inactive_connection_interval_ms, 0, 24 * kHour>},
    {"tcp-rto-min", 0, A::required, E::no_effect, nullptr},
    {"target-max-inflight-requests", 0, A::required, E::no_effect, nullptr},
    {"target-max-pending-requests", 0, A::required, E::no_effect, nullptr},
    {"target-max-shadow-requests", 0, A::required, E::no_effect, nullptr},
    {"no-network", 0, A::toggle, E::no_effect, nullptr},
    {"proxy-max-inflight-requests", 0, A::required, E::no_effect, nullptr},
    {"proxy-max-inflight-shadow-requests", 0, A::required, E::no_effect, nullptr},
    {"proxy-max-throttled-requests", 0, A::required, E::no_effect, nullptr},
    {"pem-cert-path", 0, A::required, E::acts, set_string<&Options::pem_cert_path>},
    {"pem-key-path", 0, A::required, E::acts, set_string<&Options::pem_key_path>},
    {"pem-ca-path", 0, A::required, E::acts, set_string<&Options::pem_ca_path>},
    {"ssl-service-identity", 0, A::required, E::acts, set_string<&Options::ssl_service_identity>},
    {"additional-ssl-service-identities", 0, A::required, E::no_effect, nullptr},
    {"ssl-service-identity-authorization-log", 0, A::toggle, E::no_effect, nullptr},
    {"ssl-service-identity-authorization-enforce", 0, A::toggle, E::no_effect, nullptr},
    {"destination-rate-limiting", 0, A::toggle, E::no_effect, nullptr},
    {"enable-qos", 0, A::toggle, E::no_effect, nullptr},
    {"default-qos-class", 0, A::required, E::no_effect, nullptr},
    {"default-qos-path", 0, A::required, E::no_effect, nullptr},
    {"ssl-connection-cache", 0, A::toggle, E::no_effect, nullptr},
    {"ssl-handshake-offload", 0, A::toggle, E::no_effect, nullptr},
    {"ssl-verify-peers", 0, A::toggle, E::no_effect, nullptr},
    {"enable-compression", 0, A::toggle, E::no_effect, nullptr},
    // Routing configuration
    {"constantly-reload-configs", 0, A::toggle, E::no_effect, nullptr},
    {"disable-reload-configs", 0, A::toggle, E::acts, set_flag<&Options::disable_reload_configs>},
    {"config", 0, A::required, E::acts, set_string<&Options::config>},
    {"config-dump-root", 0, A::required, E::no_effect, nullptr},
    {"max-dumped-config-age", 0, A::required, E::no_effect, nullptr},
    {"config-file", 'f', A::required, E::acts, set_config_file},
    {"pool-stats-config-file", 0, A::required, E::no_effect, nullptr},
    {"config-str", 0, A::required, E::acts, set_string<&Options::config>},
    {"route-prefix", 'R', A::required, E::acts, set_string<&Options::route_prefix>},
    {"disable-miss-on-get-errors", 0, A::toggle, E::acts, set_flag<&Options::miss_on_get_errors>, true},
    {"disable-miss-on-arith-errors", 0, A::toggle, E::acts, set_flag<&Options::disable_miss_on_arith_errors>},
    {"group-remote-errors", 0, A::toggle, E::no_effect, nullptr},
    {"send-invalid-route-to-default", 0, A::toggle, E::acts, set_flag<&Options::send_invalid_route_to_default>},
    {"enable-flush-cmd", 0, A::toggle, E::acts, set_flag<&Options::enable_flush_cmd>},
    {"disable-request-deadline-check", 0, A::toggle, E::no_effect, nullptr},
    {"reconfiguration-delay-ms", 0, A::required, E::acts, set_uint<&Options::reconfiguration_delay_ms, 0, kHour>},
    {"reconfiguration-jitter-ms", 0, A::required, E::no_effect, nullptr},
    {"post-reconfiguration-delay-ms", 0, A::required, E::no_effect, nullptr},
    {"config-params", 0, A::required, E::acts, set_config_params},
    {"enable-lease-pairing", 0, A::toggle, E::no_effect, nullptr},
    // TKO probes
    {"disable-tko-tracking", 0, A::toggle, E::acts, set_flag<&Options::disable_tko_tracking>},
    {"probe-timeout-initial", 'r', A::required, E::acts, set_uint<&Options::probe_timeout_initial_ms, 0, kHour>},
    {"probe-timeout-max", 0, A::required, E::acts, set_uint<&Options::probe_timeout_max_ms, 0, kHour>},
    {"timeouts-until-tko", 0, A::required, E::acts, set_uint<&Options::timeouts_until_tko, 1, 1000>},
    {"maximum-soft-tkos", 0, A::required, E::no_effect, nullptr},
    {"latency-threshold-us", 0, A::required, E::no_effect, nullptr},
    {"latency-window-size", 0, A::required, E::no_effect, nullptr},
    {"global-tko-tracking", 0, A::toggle, E::no_effect, nullptr},
    {"allow-only-gets", 0, A::toggle, E::acts, set_flag<&Options::allow_only_gets>},
    // Timeouts
    {"server-timeout", 't', A::required, E::acts, set_uint<&Options::server_timeout_ms, 0, kHour>},
    {"cluster-pools-timeout", 0, A::required, E::no_effect, nullptr},
    {"regional-pools-timeout", 0, A::required, E::no_effect, nullptr},
    {"cross-region-timeout-ms", 0, A::required, E::no_effect, nullptr},
    {"cross-cluster-timeout-ms", 0, A::required, E::no_effect, nullptr},
    {"within-cluster-timeout-ms", 0, A::required, E::no_effect, nullptr},
    {"waiting-request-timeout-ms", 0, A::required, E::no_effect, nullptr},
    {"connect-timeout-retries", 0, A::required, E::no_effect, nullptr},
    // Custom Memory Allocation
    {"jemalloc-nodump-buffers", 0, A::toggle, E::no_effect, nullptr},
    // Logging
    {"stats-root", 0, A::required, E::acts, set_string<&Options::stats_root>},
    {"debug-fifo-root", 0, A::required, E::no_effect, nullptr},
    {"stats-logging-interval", 0, A::required, E::acts,
     set_uint<&Options::stats_logging_interval_ms, 0, 24 * kHour>},
    {"logging-rtt-outlier-threshold-us", 0, A::required, E::no_effect, nullptr},
    {"stats-async-queue-length", 0, A::required, E::no_effect, nullptr},
    {"disable-failure-logging", 0, A::toggle, E::no_effect, nullptr, true},
    {"cpu-cycles", 0, A::toggle, E::no_effect, nullptr},
    {"test-mode", 0, A::toggle, E::no_effect, nullptr},
    {"enable-logging-route", 0, A::toggle, E::no_effect, nullptr},
    {"collect-rxmit-stats-every-hz", 0, A::required, E::no_effect, nullptr},
    {"rxmit-latency-deviation-us", 0, A::required, E::no_effect, nullptr},
    {"min-rxmit-reconnect-threshold", 0, A::required, E::no_effect, nullptr},
    {"max-rxmit-reconnect-threshold", 0, A::required, E::no_effect, nullptr},
    {"disable-send-to-main-shard-split", 0, A::toggle, E::no_effect, nullptr, true},
    {"max-shadow-token-map-size", 0, A::required, E::no_effect, nullptr},
    {"enable-ssl-tfo", 0, A::toggle, E::no_effect, nullptr},
    {"tls-prefer-ocb-cipher", 0, A::toggle, E::no_effect, nullptr},
    {"force-same-thread", 0, A::toggle, E::no_effect, nullptr},
    {"thread-affinity", 0, A::toggle, E::no_effect, nullptr},
    {"disable-shard-split-route", 0, A::toggle, E::no_effect, nullptr},
    {"enable-service-router", 0, A::toggle, E::no_effect, nullptr},
    {"enable-partial-reconfigure", 0, A::toggle, E::no_effect, nullptr},
    {"thrift-compression-threshold", 0, A::required, E::no_effect, nullptr},
    {"enable-axonlog", 0, A::toggle, E::no_effect, nullptr},
    {"external-carbon-connection-logging-enabled", 0, A::toggle, E::no_effect, nullptr},
    {"external-carbon-connection-log-rate-per-hour", 0, A::required, E::no_effect, nullptr},
    {"external-carbon-connection-log-max-burst", 0, A::required, E::no_effect, nullptr},
    {"external-carbon-connection-log-sample-rate", 0, A::required, E::no_effect, nullptr},
    {"proxy-cpu-interval-s", 0, A::required, E::no_effect, nullptr},
    {"delete-carbon-instance-upon-init-failure", 0, A::toggle, E::no_effect, nullptr, true},
    {"dump_preprocessed_config_enabled", 0, A::toggle, E::no_effect, nullptr},
    {"max_preprocessed_config_history", 0, A::required, E::no_effect, nullptr},
    {"new-ascii-parser", 0, A::toggle, E::no_effect, nullptr},
    {"fibers-debug-record-stack-size", 0, A::toggle, E::no_effect, nullptr},
    {"track-open-fds", 0, A::toggle, E::no_effect, nullptr},
    // standalone_options_list.h
    {"log-path", 'L', A::required, E::acts, set_string<&Options::log_path>},
    {"carbon-router-name", 0, A::required, E::no_effect, nullptr},
    {"listen-addresses", 0, A::required, E::acts, set_listen_addresses},
    {"port", 'p', A::required, E::acts, set_ports},
    {"ssl-port", 0, A::required, E::acts, set_ssl_ports},
    {"tls-ticket-key-seed-path", 0, A::required, E::no_effect, nullptr},
    {"ssl-require-peer-certs", 0, A::toggle, E::acts, set_flag<&Options::ssl_require_peer_certs>},
    {"server-pem-cert-path", 0, A::required, E::acts, set_string<&Options::server_pem_cert_path>},
    {"server-pem-key-path", 0, A::required, E::acts, set_string<&Options::server_pem_key_path>},
    {"server-pem-ca-path", 0, A::required, E::acts, set_string<&Options::server_pem_ca_path>},
    {"ssl-use-ktls12", 0, A::toggle, E::no_effect, nullptr},
    {"listen-sock-fd", 0, A::required, E::acts, set_listen_sock_fd},
    {"unix-domain-sock", 0, A::required, E::acts, set_unix_domain_sock},
    {"connection-limit", 'n', A::required, E::acts, set_uint<&Options::connection_limit, 1, (1ull << 30)>},
    {"max-conns", 0, A::required, E::acts, set_uint<&Options::max_conns, 0, 10000000>},
    {"tcp-listen-backlog", 0, A::required, E::acts, set_uint<&Options::tcp_listen_backlog, 1, 1 << 20>},
    {"max-global-outstanding-reqs", 0, A::required, E::no_effect, nullptr},
    {"max-client-outstanding-reqs", 0, A::required, E::acts, set_client_outstanding_reqs},
    {"reqs-per-read", 0, A::required, E::no_effect, nullptr},
    {"retain-source-ip", 0, A::toggle, E::no_effect, nullptr},
    {"postprocess-logging-route", 0, A::toggle, E::no_effect, nullptr},
    {"enable-server-compression", 0, A::toggle, E::no_effect, nullptr},
    {"client-timeout", 0, A::required, E::no_effect, nullptr},
    {"server-load-interval-ms", 0, A::required, E::no_effect, nullptr},
    {"tfo-queue-size", 0, A::required, E::no_effect, nullptr},
    {"enable-pass-through-mode", 0, A::toggle, E::no_effect, nullptr},
    {"tcp-zero-copy-threshold", 0, A::required, E::no_effect, nullptr},
    {"acl-checker-enable", 0, A::toggle, E::no_effect, nullptr},
    {"acl-checker-enforce", 0, A::toggle, E::no_effect, nullptr},
    {"prefix-acl-checker-enable", 0, A::toggle, E::no_effect, nullptr},
    {"server-ssl-service-identity", 0, A::required, E::no_effect, nullptr},
    {"num-listening-sockets", 0, A::required, E::no_effect, nullptr},
    {"remote-thread", 0, A::toggle, E::no_effect, nullptr},
    {"use-thrift", 0, A::toggle, E::no_effect, nullptr},
    {"thrift-port", 0, A::required, E::no_effect, nullptr},
    {"core-multiplier", 0, A::required, E::acts, set_core_multiplier},
    {"core-multiplier-threshold", 0, A::required, E::acts,
     set_uint<&Options::core_multiplier_threshold, 0, 1 << 20>},
    {"key-client-binding-enable", 0, A::toggle, E::no_effect, nullptr},
    {"pid-file", 'P', A::required, E::acts, set_string<&Options::pid_file>},
    {"background", 'b', A::none, E::acts, set_flag<&Options::background>},
    {"managed-mode", 'm', A::none, E::no_effect, nullptr},
    // mcrouter's main(): its own options and deprecated spellings
    {"proxy-threads", 0, A::required, E::acts, set_num_proxies},
    {"help", 'h', A::none, E::acts, set_flag<&Options::show_help>},
    {"version", 'V', A::none, E::acts, set_flag<&Options::show_version>},
    {"verbosity", 'v', A::required, E::acts, set_verbosity},
    {"validate-config", 0, A::optional, E::acts, set_validate},
    {"service-name", 0, A::required, E::acts, set_service_name},
    {"retry-timeout", 0, A::required, E::acts, set_retry_timeout},
    {"debug", 'd', A::none, E::no_effect, nullptr},
    {"debug-level", 'D', A::required, E::no_effect, nullptr},
    {"gets", 0, A::none, E::no_effect, nullptr},
    {"skip-sanity-checks", 0, A::none, E::no_effect, nullptr},
    // mcrelay's own
    {"connect-timeout", 0, A::required, E::mcrelay, set_uint<&Options::connect_timeout_ms, 0, kHour>},
    {"max-item-size", 0, A::required, E::mcrelay, set_max_item_size},
    {"connections-per-server", 0, A::required, E::mcrelay, set_uint<&Options::connections_per_server, 1, 64>},
    {"max-client-outstanding", 0, A::required, E::mcrelay,
     set_uint<&Options::max_client_outstanding, 1, (1 << 20)>},
    {"idle-timeout-ms", 0, A::required, E::mcrelay, set_uint<&Options::idle_timeout_ms, 0, 24 * kHour>},
    {"drain-timeout-ms", 0, A::required, E::mcrelay, set_uint<&Options::drain_timeout_ms, 0, kHour>},
    {"max-client-queued-bytes", 0, A::required, E::mcrelay, set_client_queued_bytes},
    {"admin-port", 0, A::required, E::mcrelay, set_admin_port},
    {"admin-address", 0, A::required, E::mcrelay, set_string<&Options::admin_address>},
    {"admin-token-file", 0, A::required, E::mcrelay, set_string<&Options::admin_token_file>},
    {"log-format", 0, A::required, E::mcrelay, set_log_format},
    {"log-level", 0, A::required, E::mcrelay, set_string<&Options::log_level>},
    {"route-key", 0, A::two, E::mcrelay, set_route_key},
    {"enable-shutdown-cmd", 0, A::toggle, E::mcrelay, set_flag<&Options::enable_shutdown_cmd>},
    {"enable-admin-keys", 0, A::toggle, E::mcrelay, set_flag<&Options::enable_admin_keys>},
    // The spelling issue 12 proposed; the keys are off unless --enable-admin-keys, so it changes nothing.
    {"disable-admin-keys", 0, A::none, E::mcrelay, disable_admin_keys},
    // TLS (docs/tls.md): mcrelay's own
    {"tls-handshake-timeout-ms", 0, A::required, E::mcrelay,
     set_uint<&Options::tls_handshake_timeout_ms, 1, kHour>},
    {"tls-reload-interval-ms", 0, A::required, E::mcrelay, set_uint<&Options::tls_reload_interval_ms, 10, kHour>},
};

}  // namespace

std::span<const OptionSpec> option_table() { return kOptions; }

const OptionSpec* find_long_option(std::string_view name, std::string* ambiguous) {
  for (const auto& o : kOptions) {
    if (o.name == name) return &o;
  }
  // getopt_long accepts an unambiguous prefix ("--config-f" is --config-file).
  const OptionSpec* found = nullptr;
  std::size_t count = 0;
  std::string all;
  for (const auto& o : kOptions) {
    if (name.empty() || !o.name.starts_with(name)) continue;
    found = &o;
    ++count;
    all += fmt::format("{}--{}", all.empty() ? "" : ", ", o.name);
  }
  if (count == 1) return found;
  if (count > 1 && ambiguous != nullptr) *ambiguous = all;
  return nullptr;
}

const OptionSpec* find_short_option(char c) {
  if (c == '\0') return nullptr;
  for (const auto& o : kOptions) {
    if (o.short_name == c) return &o;
  }
  return nullptr;
}

std::string_view refusal_reason(std::string_view name) {
  if (name == "ssl-port") return "mcrelay does not serve TLS; terminate TLS in front of it (e.g. a sidecar)";
  if (name == "unix-domain-sock") return "mcrelay listens on TCP only (-p, --listen-addresses, --listen-sock-fd)";
  return "not supported";
}

}  // namespace mcrelay
