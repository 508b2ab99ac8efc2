#pragma once
// ReplyParser: an I/O-free, incremental parser for memcached's ASCII replies (server -> proxy).
//
// Contract: owned by one upstream connection on one worker thread. The connection knows which command
// each reply answers (replies come back in request order), so it tells the parser what to expect. parse()
// takes the unconsumed bytes and yields one element at a time: a VALUE item of a get, the END of a get, or
// a one-line reply; views point into the caller's buffer. Anything that does not fit the expected reply is
// a protocol error: the connection must be reset, because the stream can no longer be trusted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/reply.hpp"

namespace mcrelay {

enum class ReplyExpect : std::uint8_t {
  retrieval,  // get/gets/gat/gats: VALUE items then END
  storage,    // STORED / NOT_STORED / EXISTS / NOT_FOUND
  deletion,   // DELETED / NOT_FOUND
  arith,      // <number> / NOT_FOUND
  touch,      // TOUCHED / NOT_FOUND
  ok,         // OK (flush_all, verbosity)
  version,    // VERSION <text>
  meta,       // HD/VA/EN/NF/NS/EX/ME <flags> (VA: a data block follows)
  stats,      // "STAT <name> <value>" lines then END: one `line` element, data = the STAT lines (CRLFs kept)
};

enum class ReplyParseStatus : std::uint8_t { need_more, value, end, line, protocol_error };

struct ParsedReply {
  Result result = Result::local_error;
  std::string_view key;     // value: the item's key
  std::uint32_t flags = 0;  // value
  std::uint64_t cas = 0;    // value (when the server sent one)
  bool has_cas = false;
  std::string_view data;    // value: the data; line: number / version / error message / meta data (VA)
  std::string_view meta_line;  // meta: the status line without CRLF
};

struct ReplyParseResult {
  ReplyParseStatus status = ReplyParseStatus::need_more;
  std::size_t consumed = 0;
  std::size_t need = 0;  // need_more: total bytes needed, when known
};

class ReplyParser {
 public:
  // Bound on a reply line (VALUE header, error text); longer is a protocol error.
  static constexpr std::size_t kMaxLine = 8192;
  // Bound on a whole `stats <group>` reply (memcached's largest, `stats items` with every slab class in use,
  // is about 60 KB); longer is a protocol error.
  static constexpr std::size_t kMaxStatsReply = 1024 * 1024;

  ReplyParseResult parse(std::string_view input, ReplyExpect expect);
  const ParsedReply& parsed() const noexcept { return parsed_; }

 private:
  ParsedReply parsed_;
};

}  // namespace mcrelay
