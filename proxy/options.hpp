#pragma once
// Options: mcrelay's command line, compatible with mcrouter's flags so operators can paste theirs.
//
// Contract: parsed once on the main thread at start-up. parse_options() never exits; it reports errors
// (unknown flag, bad value) in the result so main() can print them and exit with code 2.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mcrelay {

struct Options {
  std::uint16_t port = 5000;
  std::vector<std::string> listen_addresses{"0.0.0.0"};
  std::string config;          // "file:PATH", or inline JSON; empty: no config given
  unsigned num_proxies = 0;    // worker threads; 0: the CPUs this process may use
  std::uint32_t server_timeout_ms = 1000;
  std::uint32_t connect_timeout_ms = 1000;
  std::size_t max_item_size = 64 * 1024 * 1024;  // values are forwarded up to this (guards the proxy's memory)
  unsigned connections_per_server = 1;  // upstream connections per worker per server
  std::size_t max_client_outstanding = 1024;  // pipelined requests per client before the proxy stops reading
  std::string route_prefix = "/././";
  unsigned timeouts_until_tko = 3;            // consecutive failures that mark a server down
  std::uint32_t probe_timeout_initial_ms = 3000;  // first probe of a down server after this long
  std::uint32_t probe_timeout_max_ms = 60000;     // probe backoff ceiling
  std::size_t max_conns = 1;                  // client connections in total; 0: no limit; 1 (default): the
                                              // open-files limit less a reserve (max_conns_from_rlimit)
  std::uint32_t idle_timeout_ms = 0;          // close clients idle this long; 0: never
  std::uint32_t drain_timeout_ms = 5000;      // SIGTERM: time allowed for in-flight requests
  std::size_t max_client_queued_bytes = 64 * 1024 * 1024;  // replies a client leaves unread before it is closed
  std::string async_dir;                      // spool for deletes that failed (reliable delete stream)
  int admin_port = -1;                        // HTTP admin listener; -1: off
  std::string admin_address = "127.0.0.1";    // not loopback: admin_token_file is required
  std::string admin_token_file;               // bearer token for the admin listener (all but /healthz, /readyz)
  std::string log_format = "text";           // text | json
  std::string log_level = "info";            // --log-level, or -v/--verbosity N (verbosity_log_level)
  bool validate_config = false;
  bool show_help = false;
  bool show_version = false;
  std::vector<std::string> route_key;  // --route-key OP KEY

  // mcrouter's command line (proxy/option_table.cpp lists every option and what mcrelay does with it).
  std::vector<std::uint16_t> ports;           // -p A,B: every port to listen on (ports[0] == port); empty: {port}
  std::string log_path;                       // -L: log to this file instead of stderr; reopened on SIGHUP/SIGUSR2
  bool validate_config_run = false;           // --validate-config=run: check the config as strictly, then serve
  std::map<std::string, std::string> config_params;  // --config-params a:1,b:2 (kept for the JSONM preprocessor)
  std::string stats_root;                     // --stats-root: write mcrouter's stats files there; empty: none
  std::uint32_t stats_logging_interval_ms = 10000;  // --stats-logging-interval; 0: no stats files
  std::string service_name = "mcrouter";      // --service-name: stats files are libmcrouter.<service>.<port>.*
  int listen_sock_fd = -1;                    // --listen-sock-fd: serve on this inherited listening socket
  bool asynclog_disable = false;              // --asynclog-disable: no delete spool even with --async-dir
  std::size_t big_value_split_threshold = 0;  // --big-value-split-threshold (stored; large values use it)
  bool disable_reload_configs = false;        // --disable-reload-configs: do not watch the config file
  int tcp_listen_backlog = 0;                 // --tcp-listen-backlog; 0: the system's maximum
  double core_multiplier = 0;                 // --core-multiplier: > 0: workers = CPUs * this
  std::size_t core_multiplier_threshold = 0;  // --core-multiplier-threshold: only with at least this many CPUs
  std::uint64_t connection_limit = 0;         // -n/--connection-limit: raise RLIMIT_NOFILE to this; 0: leave it
  std::string pid_file;                       // -P/--pid-file: write and lock (a second instance exits)
  bool background = false;                    // -b/--background: daemonize after start-up checks
  std::uint32_t reset_inactive_connection_interval_ms = 60000;  // close upstream connections idle this long
                                                               // (at most twice this); 0: never
  int keepalive_count = 3;                   // -K: TCP keepalive probes to servers; 0: no keepalive
  int keepalive_interval_s = 10;             // -i
  int keepalive_idle_s = 30;                 // -I
  bool disable_tko_tracking = false;         // --disable-tko-tracking: never mark a server down
  std::uint32_t reconfiguration_delay_ms = 100;  // --reconfiguration-delay-ms: wait after a config file change
  std::vector<std::string> no_effect_options;  // given, accepted without effect: one warning at start-up
  std::vector<std::string> notes;              // other start-up warnings from parsing (deprecated spellings)
  std::string command_args;  // the arguments as given, joined by spaces (mcrouter's `commandargs` stat)
  std::string command_args_redacted;  // the same with the config's values (path, JSON, params) hidden:
                                      // `commandargs` without --enable-admin-keys

  // replies: what the proxy answers itself, as mcrouter does (docs/protocol.md)
  bool enable_flush_cmd = false;               // flush_all is refused ("SERVER_ERROR Command disabled") unless set
  bool send_invalid_route_to_default = false;  // unknown routing prefix: default route instead of an error
  bool allow_only_gets = false;                // other operations get their default reply, unrouted
  bool enable_shutdown_cmd = false;            // the `shutdown` command drains and stops the proxy
  bool enable_admin_keys = false;              // answer the admin keys and stats groups that reveal the config,
                                               // its path, the servers or the routing (proxy/admin_keys.hpp)
  bool miss_on_get_errors = true;              // a routed get-like request that fails answers a miss, as mcrouter
                                               // (--disable-miss-on-get-errors: the error goes to the client)
  bool disable_miss_on_arith_errors = false;   // incr/decr that fail answer NOT_FOUND unless this is set

  // TLS and Unix domain sockets (docs/tls.md), mcrouter's flags unless marked mcrelay's
  std::vector<std::uint16_t> ssl_ports;        // --ssl-port A,B: TLS listeners beside the plain ones
  std::string server_pem_cert_path;            // --server-pem-cert-path: the TLS listeners' certificate chain
  std::string server_pem_key_path;             // --server-pem-key-path: its private key
  std::string server_pem_ca_path;              // --server-pem-ca-path: CA that client certificates chain to
  bool ssl_require_peer_certs = false;         // --ssl-require-peer-certs: clients must present a certificate
  std::string pem_cert_path;                   // --pem-cert-path: certificate shown to TLS servers (use_ssl)
  std::string pem_key_path;                    // --pem-key-path: its private key
  std::string pem_ca_path;                     // --pem-ca-path: CA the servers' certificates must chain to
  std::string ssl_service_identity;            // --ssl-service-identity: name servers' certificates must carry
                                               // (default: each server's host)
  std::string unix_domain_sock;                // --unix-domain-sock PATH: listen there instead of TCP ports
  std::uint32_t tls_handshake_timeout_ms = 5000;  // --tls-handshake-timeout-ms (mcrelay): clients' handshakes
  std::uint32_t tls_reload_interval_ms = 5000;    // --tls-reload-interval-ms (mcrelay): certificate files polled
};

struct ParsedOptions {
  Options options;
  std::string error;  // non-empty: print it and exit 2
};

ParsedOptions parse_options(const std::vector<std::string>& args);
std::string usage_text();

// The CPUs this process may use: the affinity mask, capped by a cgroup (v2 or v1) CPU quota; at least 1.
unsigned available_cpus();

// Every port to listen on: `ports`, or `port` alone.
std::vector<std::uint16_t> listen_ports(const Options& o);

// mcrouter's --max-conns 1: the soft RLIMIT_NOFILE less a reserve for the proxy's own descriptors.
std::size_t max_conns_from_rlimit();

// Whether `address` is a loopback address (127.0.0.0/8, ::1). False for anything that is not an IP address.
bool is_loopback_address(const std::string& address);

// Cross-option checks of the TLS and Unix socket flags (e.g. --ssl-port without a certificate): "" or the
// error (exit 2). Called by parse_options once every flag is read.
std::string check_tls_options(const Options& o);

// mcrouter's -v/--verbosity N as a --log-level: 0 -> "warn", 1 -> "info", 2 and more -> "debug".
std::string verbosity_log_level(unsigned verbosity);

// A decimal number; empty optional when `text` is anything else.
std::optional<std::uint64_t> parse_uint64(const std::string& text);

// "1048576", "1m", "512k" -> bytes. Empty optional on a malformed value.
std::optional<std::size_t> parse_size(const std::string& text);

}  // namespace mcrelay
