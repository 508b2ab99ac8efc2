#pragma once
// Number parsing with memcached's exact acceptance rules (its util.c safe_strto* family), so that the
// proxy accepts and rejects the same request lines memcached does. Pure functions; any thread.
//
// memcached parses each token with strtoul/strtol/strtoull: leading whitespace and a sign are allowed,
// the token must then continue with digits, and the number may be followed only by whitespace. The 32-bit
// variants store the 64-bit result truncated to 32 bits, as memcached does on LP64 systems.
#include <cstdint>
#include <string_view>

namespace mcrelay {

bool parse_u32_like_memcached(std::string_view token, std::uint32_t& out) noexcept;  // safe_strtoul
bool parse_i32_like_memcached(std::string_view token, std::int32_t& out) noexcept;   // safe_strtol
bool parse_u64_like_memcached(std::string_view token, std::uint64_t& out) noexcept;  // safe_strtoull

// Appends the decimal form of v to out (no allocation beyond out's growth).
void append_decimal(std::string& out, std::uint64_t v);
void append_decimal(std::string& out, std::int64_t v);

}  // namespace mcrelay
