// Base64 for meta binary keys: RFC 4648 test vectors, round trips, and rejection of malformed input.
#include <catch2/catch.hpp>

#include "protocol/base64.hpp"

using namespace mcrelay;

TEST_CASE("base64 RFC 4648 vectors", "[base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
  }
}

TEST_CASE("base64 round trips every byte value", "[base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    auto part = all.substr(0, n);
    if (part.empty()) continue;
    CHECK(base64_decode(base64_encode(part)) == std::optional<std::string>(part));
  }
}

TEST_CASE("base64 rejects malformed input", "[base64]") {
  CHECK_FALSE(base64_decode(""));
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zm9@"));
  CHECK_FALSE(base64_decode("Z==="));
  CHECK_FALSE(base64_decode("Zg==Zg=="));
  CHECK_FALSE(base64_decode("Z=g="));
}

TEST_CASE("base64_decode_lenient follows memcached's decoder", "[base64]") {
  using mcrelay::base64_decode_lenient;
  using S = std::optional<std::string>;
  CHECK(base64_decode_lenient("Zm9v") == S("foo"));
  CHECK(base64_decode_lenient("b64:plain") == base64_decode_lenient("b64plain"));  // ':' is skipped
  CHECK(base64_decode_lenient("YQ==YQ==") == S("a"));   // the first padded group ends the key
  CHECK(base64_decode_lenient("YWI=trailing") == S("ab"));
  CHECK(base64_decode_lenient("=YQ=").has_value());     // '=' anywhere decodes as zero bits
  CHECK_FALSE(base64_decode_lenient("Z==="));           // three '=' in one group
  CHECK_FALSE(base64_decode_lenient("Zm9"));            // not a multiple of 4
  CHECK_FALSE(base64_decode_lenient("!!!"));            // nothing usable
  CHECK_FALSE(base64_decode_lenient("===="));           // four in one group
}
