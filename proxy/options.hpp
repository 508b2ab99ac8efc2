#pragma once
// Options: mcrelay's command line, compatible with mcrouter's flags so operators can paste theirs.
//
// Contract: parsed once on the main thread at start-up. parse_options() never exits; it reports errors
// (unknown flag, bad value) in the result so main() can print them and exit with code 2.
#include <cstdint>
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
  std::size_t max_conns = 0;                  // client connections in total; 0: no limit
  std::uint32_t idle_timeout_ms = 0;          // close clients idle this long; 0: never
  std::uint32_t drain_timeout_ms = 5000;      // SIGTERM: time allowed for in-flight requests
  std::size_t max_client_queued_bytes = 64 * 1024 * 1024;  // replies a client leaves unread before it is closed
  std::string async_dir;                      // spool for deletes that failed (reliable delete stream)
  int admin_port = -1;                        // HTTP admin listener; -1: off
  std::string admin_address = "0.0.0.0";
  std::string log_format = "text";           // text | json
  std::string log_level = "info";            // --log-level, or -v/--verbosity N (verbosity_log_level)
  bool validate_config = false;
  bool show_help = false;
  bool show_version = false;
  std::vector<std::string> route_key;  // --route-key OP KEY
  // replies: what the proxy answers itself, as mcrouter does (docs/protocol.md)
  bool enable_flush_cmd = false;               // flush_all is refused ("SERVER_ERROR Command disabled") unless set
  bool send_invalid_route_to_default = false;  // unknown routing prefix: default route instead of an error
  bool allow_only_gets = false;                // other operations get their default reply, unrouted
  bool enable_shutdown_cmd = false;            // the `shutdown` command drains and stops the proxy
};

struct ParsedOptions {
  Options options;
  std::string error;  // non-empty: print it and exit 2
};

ParsedOptions parse_options(const std::vector<std::string>& args);
std::string usage_text();

// The CPUs this process may use: the affinity mask, capped by a cgroup (v2 or v1) CPU quota; at least 1.
unsigned available_cpus();

// mcrouter's -v/--verbosity N as a --log-level: 0 -> "warn", 1 -> "info", 2 and more -> "debug".
std::string verbosity_log_level(unsigned verbosity);

// "1048576", "1m", "512k" -> bytes. Empty optional on a malformed value.
std::optional<std::size_t> parse_size(const std::string& text);

}  // namespace mcrelay
