#pragma once
// Serializes requests for a memcached server (proxy -> upstream). I/O-free; called by upstream connections
// on their worker thread when they flush. `noreply` is never sent upstream: the proxy always asks for the
// reply so that replies match requests in FIFO order and failures are seen (the client still gets nothing).
#include <string>
#include <string_view>

#include "protocol/request.hpp"

namespace mcrelay {

// One single-key or keyless command (everything but the retrieval family).
void append_upstream_command(std::string& out, const Request& req, bool keep_routing_prefix);

// The head of a retrieval command: "get", "gets", "gat <exptime>", "gats <exptime>"; keys are appended
// with append_upstream_key and the line is ended with "\r\n" by the caller (batched multi-gets).
void append_retrieval_head(std::string& out, Op op, std::int64_t exptime);
inline void append_upstream_key(std::string& out, std::string_view key) {
  out.push_back(' ');
  out.append(key);
}

}  // namespace mcrelay
