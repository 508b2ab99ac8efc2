#pragma once
// twemproxy's "fnv1a_64" key hash, which is really 32-bit: FNV-1a over uint32_t with the low 32 bits of the
// 64-bit offset basis (0x84222325) and prime (0x000001b3), each byte xored in as a sign-extended char.
// It is twemproxy's default pool hash, used by KetamaHash to place keys on the continuum.
//
// Contract: called by route handles on worker threads (through KetamaHash); pure and thread-safe.
#include <cstdint>
#include <string_view>

namespace mcrelay {

std::uint32_t twemproxy_fnv1a_64(std::string_view key) noexcept;

}  // namespace mcrelay
