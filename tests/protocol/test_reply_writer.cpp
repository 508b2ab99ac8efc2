// reply_writer: error lines, including the ones without a message, written as mcrouter writes them.
#include <catch2/catch.hpp>

#include "protocol/reply_writer.hpp"

using namespace mcrelay;

namespace {

std::string error_line(Result r, std::string message) {
  std::string out;
  append_error(out, Reply(r, std::move(message)));
  return out;
}

}  // namespace

TEST_CASE("append_error: the server's words, or mcrouter's for an error without a message", "[reply_writer]") {
  CHECK(error_line(Result::client_error, "bad data chunk") == "CLIENT_ERROR bad data chunk\r\n");
  CHECK(error_line(Result::remote_error, "out of memory") == "SERVER_ERROR out of memory\r\n");
  CHECK(error_line(Result::bad_command, "") == "ERROR\r\n");
  // A server's bare CLIENT_ERROR stays bare: no space is added.
  CHECK(error_line(Result::client_error, "") == "CLIENT_ERROR\r\n");
  CHECK(error_line(Result::remote_error, "") == "SERVER_ERROR remote error\r\n");
  CHECK(error_line(Result::local_error, "") == "SERVER_ERROR local error\r\n");
  CHECK(error_line(Result::timeout, "") == "SERVER_ERROR timeout\r\n");
  CHECK(error_line(Result::tko, "") == "SERVER_ERROR unavailable\r\n");
}

TEST_CASE("append_reply: an error reply to any command is its error line", "[reply_writer]") {
  std::string out;
  append_reply(out, Op::set, Reply(Result::local_error));
  CHECK(out == "SERVER_ERROR local error\r\n");
  out.clear();
  append_meta_reply(out, Op::ms, Reply::error(Result::client_error, "bad key"));
  CHECK(out == "CLIENT_ERROR bad key\r\n");
}
