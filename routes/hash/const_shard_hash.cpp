#include "routes/hash/const_shard_hash.hpp"

#include "routes/hash/furc_hash.hpp"

namespace mcrelay {
namespace {

constexpr bool is_c_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::uint32_t> const_shard_id(std::string_view key, std::uint32_t n) noexcept {
  const std::size_t first = key.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = key.find(':', first + 1);
  if (second == std::string_view::npos || second == first + 1) return std::nullopt;
  std::string_view id = key.substr(first + 1, second - first - 1);

  while (!id.empty() && is_c_space(id.front())) id.remove_prefix(1);
  while (!id.empty() && is_c_space(id.back())) id.remove_suffix(1);
  if (id.empty()) return std::nullopt;

  std::uint64_t value = 0;
  for (const char c : id) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value >= n) return std::nullopt;  // out of range (also stops any overflow): Ch3 decides
  }
  return static_cast<std::uint32_t>(value);
}

std::uint32_t ConstShardHash::index(std::string_view key) const noexcept {
  if (const auto shard = const_shard_id(key, n_)) return *shard;
  return furc_hash(key, n_);
}

}  // namespace mcrelay
