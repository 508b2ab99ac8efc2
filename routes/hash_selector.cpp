#include "routes/hash_selector.hpp"

#include "routes/hash/twemproxy/twemproxy_hash.hpp"

namespace mcrelay {

HashSelector::HashSelector(std::unique_ptr<HashFunction> fn, std::string salt)
    : fn_(std::move(fn)), salt_(std::move(salt)), twemproxy_(dynamic_cast<const TwemproxyHash*>(fn_.get())) {}

std::uint32_t HashSelector::select_live(const Request& req, const std::vector<bool>& live) const {
  if (twemproxy_ == nullptr) return select(req);
  thread_local std::string buf;
  buf.assign(req.routing_key());
  buf.append(salt_);
  return twemproxy_->index_live(buf, live);
}

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
