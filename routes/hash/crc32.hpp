#pragma once
// CRC-32 (IEEE 802.3 / zlib's crc32(0, ...)): reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF.
// mcrouter's "Crc32" hash function is (crc32(key) & 0x7fffffff) % n.
//
// Contract: called by route handles on worker threads (through Crc32Hash); pure and thread-safe. Table
// driven (the 256-entry table is built at compile time), no zlib dependency.
#include <cstdint>
#include <string_view>

namespace mcrelay {

std::uint32_t crc32(std::string_view data) noexcept;

}  // namespace mcrelay
