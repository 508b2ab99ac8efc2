#include "routes/hash/ch3_hash.hpp"

#include "routes/hash/furc_hash.hpp"

namespace mcrelay {

std::uint32_t Ch3Hash::index(std::string_view key) const noexcept { return furc_hash(key, n_); }

}  // namespace mcrelay
