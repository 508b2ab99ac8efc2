#pragma once
// Test helper: feeds bytes to a RequestParser the way a client session does (append, parse until
// "need more", drop what was consumed) and records what came out as readable strings.
#include <string>
#include <vector>

#include "protocol/request_parser.hpp"

namespace mcrelay::test {

std::string describe(const ParsedRequest& p);

// Parses `chunks` in order through one parser; returns the events ("get k1 k2", "reply:ERROR\r\n", "close").
std::vector<std::string> parse_chunks(const std::vector<std::string>& chunks, ParserLimits limits = {});

// The same input whole, split at every byte offset into two chunks, and one byte at a time: every way must
// give the same events. Returns the events of the whole-input run.
std::vector<std::string> parse_every_split(const std::string& input, ParserLimits limits = {});

}  // namespace mcrelay::test
