#include "routes/hash_selector.hpp"

namespace mcrelay {

std::uint32_t HashSelector::select(const Request& req) const {
  std::string_view key = req.routing_key();
  if (salt_.empty()) return fn_->index(key);
  // The salted key is built in a per-thread buffer so the hot path does not allocate.
  thread_local std::string buf;
  buf.assign(key);
  buf.append(salt_);
  return fn_->index(buf);
}

std::uint32_t HashSelector::select(const Request& req, unsigned attempt) const {
  thread_local std::string buf;
  buf.assign(req.routing_key());
  buf.append(salt_);
  buf.push_back('#');
  buf.append(std::to_string(attempt));
  return fn_->index(buf);
}

}  // namespace mcrelay
