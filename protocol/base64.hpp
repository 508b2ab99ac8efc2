#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding) for meta commands' binary keys (flag b): the decoded
// key is what is hashed and routed; the encoded form is what goes upstream. Pure functions; any thread.
#include <optional>
#include <string>
#include <string_view>

namespace mcrelay {

// nullopt for malformed input (bad character, bad padding, length not a multiple of 4, empty).
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);
// As memcached decodes meta keys: bytes outside the alphabet are skipped first.
std::optional<std::string> base64_decode_lenient(std::string_view in);

}  // namespace mcrelay
