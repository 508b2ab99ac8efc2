#pragma once
// What the data port answers only when the operator asks for it (--enable-admin-keys): the admin keys and
// `stats` groups that reveal the config, its file, the servers or the routing, or that change the proxy.
// mcrouter answers them to any client; in front of a shared cache tier that maps the tier for an attacker,
// so mcrelay keeps them off by default (docs/protocol.md, "Revealing admin keys need --enable-admin-keys").
//
// Contract: pure functions of their arguments; called by client sessions on their worker thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcrelay {

// mcrouter's reply to a command it refuses (its flush_all precheck); a disabled `stats` group gets it.
inline constexpr std::string_view kCommandDisabled = "SERVER_ERROR Command disabled\r\n";

// When `get __mcrouter__.<cmd>(<nargs> args)` reveals or changes something: why, for its
// "ERROR: disabled: ..." value. Nothing for the harmless commands (version, hostid, config_age,
// config_md5_digest, verbosity without argument) and unknown ones (they answer "unknown command").
std::optional<std::string> admin_key_disabled(std::string_view cmd, std::size_t nargs);

// Whether `stats <args>` lists servers (servers, suspect_servers, destinations) or names one
// (`stats settings HOST:PORT`, which also tells whether a server is in the config).
bool stats_needs_admin_keys(std::string_view args) noexcept;

// `stats settings` merged from the servers: drops the `inter` line (the address a memcached listens on).
std::string hide_server_addresses(std::string_view group, std::string reply);

}  // namespace mcrelay
