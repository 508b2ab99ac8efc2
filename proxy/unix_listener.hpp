#pragma once
// The --unix-domain-sock listener (mcrouter's flag), and a twemproxy pool's `listen: /path/sock 0666`: one
// Unix stream socket at PATH, shared by every worker (each accepts on a duplicate of it). `mode` (twemproxy's
// permissions) is applied with chmod between bind and listen, so no client connects before it is set.
// `default_prefix`: the route taken by requests without a routing prefix (a twemproxy pool's own listener);
// empty: the default route. `pool`: for the log line only.
//
// A file already at PATH is replaced only when it is a stale socket (nobody accepts connections on it: what
// a crashed proxy leaves behind); a live socket or any other file is a start-up error, as a TCP port in use
// is. The socket file is removed at exit (remove_unix_listener), as mcrouter does.
//
// Contract: main/control thread, before the workers start. Throws std::runtime_error with an operator-facing
// message (the caller exits 1).
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcrelay {

class Worker;

void bind_unix_listener(const std::string& path, int backlog, std::vector<std::unique_ptr<Worker>>& workers,
                        std::optional<unsigned> mode = std::nullopt, const std::string& default_prefix = {},
                        const std::string& pool = {});
void remove_unix_listener(const std::string& path) noexcept;

}  // namespace mcrelay
