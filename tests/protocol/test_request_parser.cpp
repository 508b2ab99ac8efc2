// RequestParser: every case is fed whole, split at every byte, and one byte at a time.
#include <catch2/catch.hpp>

#include "parse_driver.hpp"

using mcrelay::ParserLimits;
using mcrelay::test::parse_every_split;
using Events = std::vector<std::string>;

TEST_CASE("retrieval commands", "[request_parser]") {
  CHECK(parse_every_split("get a\r\n") == Events{"get a"});
  CHECK(parse_every_split("get a b  c\r\n") == Events{"get a b c"});
  CHECK(parse_every_split("gets a a\r\n") == Events{"gets a a"});
  CHECK(parse_every_split("gat 100 a b\r\n") == Events{"gat exp=100 a b"});
  CHECK(parse_every_split("gats -1 k\r\n") == Events{"gats exp=-1 k"});
  CHECK(parse_every_split("get a\n") == Events{"get a"});           // bare \n accepted
  // mcrouter: a get without a key is a parse error, answered, then the connection is closed (memcached: ERROR,
  // or END for gat) -- nothing after it is read.
  const std::string malformed = "close:CLIENT_ERROR malformed request\r\n";
  CHECK(parse_every_split("get\r\nget a\r\n") == Events{malformed});
  CHECK(parse_every_split("gets  \r\n") == Events{malformed});
  CHECK(parse_every_split("gat 10\r\n") == Events{malformed});
  CHECK(parse_every_split("gat x k\r\n") == Events{"reply:CLIENT_ERROR invalid exptime argument\r\n"});
  CHECK(parse_every_split("getx a\r\n") == Events{"reply:ERROR\r\n"});
}

TEST_CASE("a get with more than 23 tokens keeps every key", "[request_parser]") {
  std::string line = "get";
  std::string expect = "get";
  for (int i = 0; i < 40; ++i) {
    line += " k" + std::to_string(i);
    expect += " k" + std::to_string(i);
  }
  CHECK(parse_every_split(line + "\r\n") == Events{expect});
}

TEST_CASE("key length limit", "[request_parser]") {
  std::string k250(250, 'k'), k251(251, 'k');
  CHECK(parse_every_split("get " + k250 + "\r\n") == Events{"get " + k250});
  // mcrouter's "CLIENT_ERROR bad key" (memcached: bad command line format). A get keeps the key: the session
  // answers it per key. A storage command's data block is read (memcached would take it for a command).
  const std::string bad_key = "reply:CLIENT_ERROR bad key\r\n";
  CHECK(parse_every_split("get a " + k251 + "\r\n") == Events{"get a " + k251});
  CHECK(parse_every_split("set " + k251 + " 0 0 1\r\nx\r\nmn\r\n") == Events{bad_key, "mn"});
  CHECK(parse_every_split("set " + k251 + " 0 0 1 noreply\r\nx\r\nmn\r\n") == Events{"reply:", "mn"});
  CHECK(parse_every_split("delete " + k251 + "\r\n") == Events{bad_key});
  CHECK(parse_every_split("incr " + k251 + " 1\r\n") == Events{bad_key});
  CHECK(parse_every_split("incr " + k251 + " x\r\n") == Events{"reply:CLIENT_ERROR invalid numeric delta argument\r\n"});
  CHECK(parse_every_split("touch " + k251 + " 1\r\n") == Events{bad_key});
  CHECK(parse_every_split("mg " + k251 + " v\r\n") == Events{bad_key});
  CHECK(parse_every_split("ms " + k251 + " 1 T0\r\nx\r\nmn\r\n") == Events{bad_key, "mn"});
  CHECK(parse_every_split("md " + k251 + " q\r\n") == Events{bad_key});

}

TEST_CASE("storage commands", "[request_parser]") {
  CHECK(parse_every_split("set k 1 2 5\r\nhello\r\n") == Events{"set k f=1 exp=2 v=hello"});
  CHECK(parse_every_split("add k 0 0 0\r\n\r\n") == Events{"add k f=0 exp=0 v="});
  CHECK(parse_every_split("replace k 4294967295 -1 3 noreply\r\nabc\r\n") ==
        Events{"replace k f=4294967295 exp=-1 v=abc noreply"});
  CHECK(parse_every_split("append k 0 0 2\r\n\r\n\r\n") == Events{"append k f=0 exp=0 v=\r\n"});
  CHECK(parse_every_split("prepend k 0 0 1 whatever\r\nx\r\n") == Events{"prepend k f=0 exp=0 v=x"});
  CHECK(parse_every_split("cas k 0 0 1 99\r\nx\r\n") == Events{"cas k f=0 exp=0 cas=99 v=x"});
  CHECK(parse_every_split("cas k 0 0 1 99 noreply\r\nx\r\n") == Events{"cas k f=0 exp=0 cas=99 v=x noreply"});
}

TEST_CASE("malformed storage lines give memcached's errors", "[request_parser]") {
  const std::string bad = "reply:CLIENT_ERROR bad command line format\r\n";
  CHECK(parse_every_split("set k 0 0\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("set k 0 0 1 noreply extra\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("set k x 0 1\r\n") == Events{bad});
  CHECK(parse_every_split("set k 0 x 1\r\n") == Events{bad});
  CHECK(parse_every_split("set k 0 0 -1\r\n") == Events{bad});
  CHECK(parse_every_split("set k -1 0 1\r\n") == Events{bad});
  CHECK(parse_every_split("cas k 0 0 1 x\r\n") == Events{bad});
  // noreply suppresses even the error.
  CHECK(parse_every_split("set k x 0 1 noreply\r\n") == Events{"reply:"});
  // The data line of a rejected command is read as the next command.
  CHECK(parse_every_split("set k 0 0 -1\r\nhello\r\n") == Events{bad, "reply:ERROR\r\n"});
}

TEST_CASE("data block terminator", "[request_parser]") {
  CHECK(parse_every_split("set k 0 0 3\r\nabcde\r\nget k\r\n") ==
        Events{"reply:CLIENT_ERROR bad data chunk\r\n", "reply:ERROR\r\n", "get k"});
  CHECK(parse_every_split("set k 0 0 3 noreply\r\nabcXY") == Events{"reply:"});
}

TEST_CASE("values over the item size are rejected and swallowed", "[request_parser]") {
  ParserLimits limits;
  limits.max_item_size = 8;
  std::string v(20, 'v');
  CHECK(parse_every_split("set k 0 0 20\r\n" + v + "\r\nget k\r\n", limits) ==
        Events{"reply:SERVER_ERROR object too large for cache\r\n invalidate=k", "get k"});
  CHECK(parse_every_split("add k 0 0 20\r\n" + v + "\r\nget k\r\n", limits) ==
        Events{"reply:SERVER_ERROR object too large for cache\r\n", "get k"});
  CHECK(parse_every_split("set k 0 0 8\r\n12345678\r\n", limits) == Events{"set k f=0 exp=0 v=12345678"});
}

TEST_CASE("delete, incr, decr, touch", "[request_parser]") {
  CHECK(parse_every_split("delete k\r\n") == Events{"delete k"});
  CHECK(parse_every_split("delete k noreply\r\n") == Events{"delete k noreply"});
  CHECK(parse_every_split("delete k 0\r\n") == Events{"delete k"});
  CHECK(parse_every_split("delete k 0 noreply\r\n") == Events{"delete k noreply"});
  CHECK(parse_every_split("delete k 5\r\n") ==
        Events{"reply:CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"});
  CHECK(parse_every_split("delete\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("incr k 5\r\n") == Events{"incr k d=5"});
  CHECK(parse_every_split("decr k 18446744073709551615 noreply\r\n") == Events{"decr k d=18446744073709551615 noreply"});
  CHECK(parse_every_split("incr k -1\r\n") == Events{"reply:CLIENT_ERROR invalid numeric delta argument\r\n"});
  CHECK(parse_every_split("incr k 18446744073709551616\r\n") ==
        Events{"reply:CLIENT_ERROR invalid numeric delta argument\r\n"});
  CHECK(parse_every_split("incr k\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("touch k 10\r\n") == Events{"touch k exp=10"});
  CHECK(parse_every_split("touch k x\r\n") == Events{"reply:CLIENT_ERROR invalid exptime argument\r\n"});
}

TEST_CASE("keyless commands", "[request_parser]") {
  CHECK(parse_every_split("flush_all\r\n") == Events{"flush_all"});
  CHECK(parse_every_split("flush_all 10\r\n") == Events{"flush_all args=10"});
  CHECK(parse_every_split("flush_all noreply\r\n") == Events{"flush_all noreply"});
  CHECK(parse_every_split("flush_all 0 noreply\r\n") == Events{"flush_all args=0 noreply"});
  CHECK(parse_every_split("flush_all x\r\n") == Events{"reply:CLIENT_ERROR invalid exptime argument\r\n"});
  CHECK(parse_every_split("version\r\n") == Events{"version"});
  CHECK(parse_every_split("verbosity 1\r\n") == Events{"verbosity args=1"});
  CHECK(parse_every_split("verbosity\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("stats\r\n") == Events{"stats"});
  CHECK(parse_every_split("stats  items\r\n") == Events{"stats args=items"});
  CHECK(parse_every_split("quit\r\n") == Events{"quit"});
  CHECK(parse_every_split("mn\r\n") == Events{"mn"});
}

TEST_CASE("unknown and empty lines", "[request_parser]") {
  CHECK(parse_every_split("\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("x\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("shutdown\r\n") == Events{"shutdown"});  // served or refused by the session
  CHECK(parse_every_split("shutdown graceful\r\n") == Events{"shutdown graceful"});
  CHECK(parse_every_split("GET k\r\n") == Events{"reply:ERROR\r\n"});
}

TEST_CASE("a NUL byte ends the command line, as in memcached", "[request_parser]") {
  using namespace std::string_literals;
  // "set kz" has too few tokens; the data block is then a line of its own.
  CHECK(parse_every_split("set kz\0z 0 0 2\r\nab\r\n"s) == Events{"reply:ERROR\r\n", "reply:ERROR\r\n"});
  CHECK(parse_every_split("get k\0zz\r\n"s) == Events{"get k"});
  CHECK(parse_every_split("set k 0 0 2\0junk\r\nab\r\n"s) == Events{"set k f=0 exp=0 v=ab"});
  CHECK(parse_every_split("mg k\0 v\r\n"s) == Events{"mg k"});
  CHECK(parse_every_split("\0get k\r\n"s) == Events{"reply:ERROR\r\n"});
}

TEST_CASE("pipelines keep order", "[request_parser]") {
  CHECK(parse_every_split("set a 0 0 1\r\n1\r\nget a b\r\ndelete a\r\nbogus\r\nincr n 1\r\n") ==
        Events{"set a f=0 exp=0 v=1", "get a b", "delete a", "reply:ERROR\r\n", "incr n d=1"});
}

TEST_CASE("a line with no newline past 2048 bytes closes the connection", "[request_parser]") {
  mcrelay::RequestParser parser;
  std::string junk(2049, 'x');
  CHECK(parser.parse(junk).status == mcrelay::ParseStatus::close);
  std::string under(2048, 'x');
  CHECK(parser.parse(under).status == mcrelay::ParseStatus::need_more);
  // ...except a long multi-get, which memcached lets grow.
  std::string get = "get";
  while (get.size() < 5000) get += " key";
  CHECK(parser.parse(get).status == mcrelay::ParseStatus::need_more);
  // A multi-get past the proxy's bound is closed too: what is buffered per client stays bounded.
  ParserLimits small;
  small.max_get_line = 4096;
  mcrelay::RequestParser bounded(small);
  CHECK(bounded.parse(get).status == mcrelay::ParseStatus::close);
}

TEST_CASE("meta commands: framing, quiet mode, base64 keys", "[request_parser][meta]") {
  CHECK(parse_every_split("mg foo v f t\r\n") == Events{"mg foo [v f t]"});
  CHECK(parse_every_split("mg foo q v Oab\r\n") == Events{"mg foo [v Oab] quiet"});
  CHECK(parse_every_split("ms foo 2 T0 F5\r\nhi\r\n") == Events{"ms foo [T0 F5] v=hi"});
  CHECK(parse_every_split("ms foo 0\r\n\r\n") == Events{"ms foo v="});
  CHECK(parse_every_split("md foo q\r\n") == Events{"md foo quiet"});
  CHECK(parse_every_split("ma cnt N0 J10 v\r\n") == Events{"ma cnt [N0 J10 v]"});
  CHECK(parse_every_split("me foo\r\n") == Events{"me foo"});
  CHECK(parse_every_split("mg Zm9v b v\r\n") == Events{"mg foo [b v] b64"});  // routed by the decoded key
  CHECK(parse_every_split("mn\r\n") == Events{"mn"});
}

TEST_CASE("meta errors the proxy answers itself", "[request_parser][meta]") {
  const std::string bad = "reply:CLIENT_ERROR bad command line format\r\n";
  CHECK(parse_every_split("mg\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("mx foo\r\n") == Events{"reply:ERROR\r\n"});
  CHECK(parse_every_split("ms foo\r\n") == Events{bad});
  CHECK(parse_every_split("ms foo x\r\n") == Events{bad});
  // A request memcached surely refuses (a repeated q, a key that does not decode) goes to the server as the
  // client wrote it, q flags and all, so that memcached reports its own first error.
  CHECK(parse_every_split("mg @@@ b v\r\n") == Events{"mg @@@ [b v]"});
  CHECK(parse_every_split("md @@@ b\r\n") == Events{"md @@@ [b]"});
  CHECK(parse_every_split("mg abc c k k b c\r\n") == Events{"mg abc [c k k b c]"});
  CHECK(parse_every_split("ms k 3 F4294967296 E100 q q\r\nabc\r\n") == Events{"ms k [F4294967296 E100 q q] v=abc"});

  // A bad data chunk consumes exactly <datalen> + 2 bytes and goes to the server as written (memcached
  // reports a bad flag first); its reply is an error, never hidden by quiet mode.
  CHECK(parse_every_split("ms foo 2 q\r\nhiXX\r\n") == Events{"ms foo v=hi end=XX", "reply:ERROR\r\n"});
  CHECK(parse_every_split("ms foo 2 MR MA\r\nhi\rX\r\n") == Events{"ms foo [MR MA] v=hi end=\rX", "reply:ERROR\r\n"});
  ParserLimits limits;
  limits.max_item_size = 4;
  CHECK(parse_every_split("ms foo 6 q\r\nabcdef\r\nmn\r\n", limits) ==
        Events{"reply:SERVER_ERROR object too large for cache\r\n invalidate=foo", "mn"});
  CHECK(parse_every_split("ms Zm9v 6 b\r\nabcdef\r\nmn\r\n", limits) ==
        Events{"reply:SERVER_ERROR object too large for cache\r\n invalidate=foo", "mn"});
  // memcached's base64 skips bytes outside the alphabet; `me` takes only an exact "b" after the key.
  CHECK(parse_every_split("mg Zm:9v b v\r\n") == Events{"mg foo [b v] b64"});
  CHECK(parse_every_split("me foo bar\r\n") == Events{"me foo"});
  CHECK(parse_every_split("me\r\n") == Events{"reply:CLIENT_ERROR bad command line format\r\n"});
  CHECK(parse_every_split("me !!! b\r\n") == Events{"reply:CLIENT_ERROR bad command line format\r\n"});
}
