#pragma once
// Helpers shared by the libFuzzer harnesses in tests/fuzz/ (see scripts/fuzz.sh).
//
// A chunk plan: the first bytes of a fuzz input say how the rest (the protocol stream) is cut into the
// chunks a socket would deliver, so that the split points are fuzzed together with the bytes:
//   byte 0: k = byte % 8 chunk-size bytes follow (k == 0: the stream arrives one byte at a time);
//   bytes 1..k: chunk sizes, used in turn and cycled: b < 192 -> b + 1 bytes, else (b - 191) * 256 bytes
//   (256 .. 16384), so that both tiny splits and chunks past the line limits are reachable.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <sanitizer/asan_interface.h>

namespace mcrelay::fuzz {

// Aborts the run (libFuzzer records the input as a crash) with a one-line reason on stderr.
[[noreturn]] inline void fail(const char* invariant, const std::string& detail = {}) {
  std::fprintf(stderr, "\n*** fuzz invariant violated: %s%s%s\n", invariant, detail.empty() ? "" : ": ",
               detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// FUZZ_CHECK(condition, "invariant" [, detail string]): traps with the invariant, the detail and the
// condition's text when the condition is false.
[[noreturn]] inline void fail_check(const char* expr, const char* invariant, const std::string& detail = {}) {
  fail(invariant, detail.empty() ? std::string("(") + expr + ")" : detail + " (" + expr + ")");
}

#define FUZZ_CHECK(cond, ...)                                       \
  do {                                                              \
    if (!(cond)) ::mcrelay::fuzz::fail_check(#cond, __VA_ARGS__);   \
  } while (0)

struct ChunkPlan {
  std::vector<std::size_t> sizes;  // empty: one byte at a time
  std::string_view stream;         // the bytes to parse

  // Size of chunk number `i`.
  std::size_t size(std::size_t i) const { return sizes.empty() ? 1 : sizes[i % sizes.size()]; }
};

inline std::size_t decode_chunk_size(std::uint8_t b) {
  return b < 192 ? std::size_t{b} + 1 : std::size_t{b - 191u} * 256;
}

// Reads a chunk plan from the front of `in` (consumed from `in`).
inline ChunkPlan read_chunk_plan(std::string_view in) {
  ChunkPlan plan;
  if (in.empty()) return plan;
  std::size_t k = static_cast<std::uint8_t>(in[0]) % 8;
  in.remove_prefix(1);
  for (std::size_t i = 0; i < k && !in.empty(); ++i) {
    plan.sizes.push_back(decode_chunk_size(static_cast<std::uint8_t>(in[0])));
    in.remove_prefix(1);
  }
  plan.stream = in;
  return plan;
}

// The stream as a socket would have delivered it so far, for AddressSanitizer to watch: one exact-size heap
// copy of the whole stream in which the bytes not delivered yet and (to 8-byte granularity) the bytes
// already consumed are poisoned, so a parser reading past what it was given, or back into what its caller
// dropped, is reported at once. (A std::string's spare capacity would hide such reads.)
class StreamBuffer {
 public:
  explicit StreamBuffer(std::string_view stream)
      : size_(stream.size()), data_(static_cast<char*>(std::malloc(stream.empty() ? 1 : stream.size()))) {
    if (!stream.empty()) std::memcpy(data_, stream.data(), stream.size());
    ASAN_POISON_MEMORY_REGION(data_, size_);
  }
  ~StreamBuffer() {
    ASAN_UNPOISON_MEMORY_REGION(data_, size_);
    std::free(data_);
  }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;

  // Bytes [0, fed) have arrived.
  void deliver(std::size_t fed) {
    if (fed > delivered_) ASAN_UNPOISON_MEMORY_REGION(data_ + delivered_, fed - delivered_);
    delivered_ = fed;
  }
  // Bytes [0, base) were consumed and dropped by the caller.
  void consume(std::size_t base) {
    if (base > consumed_) ASAN_POISON_MEMORY_REGION(data_ + consumed_, base - consumed_);
    consumed_ = base;
  }
  // What the caller hands the parser: the delivered bytes not consumed yet.
  std::string_view unconsumed() const { return {data_ + consumed_, delivered_ - consumed_}; }

 private:
  std::size_t size_;
  char* data_;
  std::size_t delivered_ = 0;
  std::size_t consumed_ = 0;
};

// True when `v` is empty or lies entirely within [base, base + size).
inline bool view_within(std::string_view v, const char* base, std::size_t size) {
  if (v.empty()) return true;
  auto b = reinterpret_cast<std::uintptr_t>(base);
  auto p = reinterpret_cast<std::uintptr_t>(v.data());
  return p >= b && p <= b + size && v.size() <= b + size - p;
}

// Printable form of bytes for failure messages: C escapes for everything not printable ASCII.
inline std::string c_escape(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace mcrelay::fuzz
