#pragma once
// MD5 (RFC 1321), used only to build twemproxy's ketama continuum (KetamaHash), never on the per-request
// path.
//
// Contract: called when a KetamaHash is built (config load, on whichever thread builds the route tree);
// pure and thread-safe, no heap allocation.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcrelay {

using Md5Digest = std::array<std::uint8_t, 16>;

Md5Digest md5(const void* data, std::size_t len) noexcept;

inline Md5Digest md5(std::string_view data) noexcept { return md5(data.data(), data.size()); }

// Lowercase hex of the digest (config_md5_digest, as mcrouter reports it).
std::string md5_hex(std::string_view data);

}  // namespace mcrelay
