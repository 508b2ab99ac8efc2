#pragma once
// MD5 (RFC 1321), used for the config_md5_digest stat (the digest of the config text as loaded).
//
// Contract: a pure function, callable from any thread; not for security. No exceptions.
#include <string>
#include <string_view>

namespace mcrelay::config {

// The 32-character lowercase hex digest of `data`.
std::string md5_hex(std::string_view data);

}  // namespace mcrelay::config
