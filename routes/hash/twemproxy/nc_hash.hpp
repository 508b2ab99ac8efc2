#pragma once
// The twelve key hashes of twemproxy (nutcracker 0.5.0, src/hashkit/), bit for bit, so a pool moved from
// twemproxy to mcrelay keeps every key on the server that holds it.
//
// Several of them read key bytes through a plain (signed, on x86/ARM Linux) `char`, so bytes >= 0x80 are
// sign-extended before they are mixed in: one_at_a_time, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32 and the last
// byte of a 3-byte tail in hsieh. We reproduce that (twemproxy on x86-64 and aarch64 Linux differ here:
// aarch64's char is unsigned; we follow x86-64, where nutcracker is normally run).
//
// Contract: pure, thread-safe, allocation-free; called on worker threads by TwemproxyHash (and by tests).
#include <cstdint>
#include <optional>
#include <string_view>

namespace mcrelay {

enum class NcHash : std::uint8_t {
  one_at_a_time,
  md5,
  crc16,   // nutcracker 0.5.0: XMODEM table, 32-bit unmasked accumulator (not a true CRC-16)
  crc32,   // libmemcached's: (crc32 >> 16) & 0x7fff
  crc32a,  // the standard CRC-32
  fnv1_64,
  fnv1a_64,
  fnv1_32,
  fnv1a_32,
  hsieh,
  murmur,
  jenkins,
};

// twemproxy's name ("fnv1a_64", ...) -> hash; nullopt for an unknown name (case-sensitive, as twemproxy).
std::optional<NcHash> parse_nc_hash(std::string_view name) noexcept;
std::string_view nc_hash_name(NcHash h) noexcept;
// The accepted names, comma-separated, for error messages.
std::string_view nc_hash_names() noexcept;

std::uint32_t nc_hash(NcHash h, std::string_view key) noexcept;

}  // namespace mcrelay
