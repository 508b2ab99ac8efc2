#pragma once
// HashSelector: picks a child index for a request by hashing its routing key (plus salt), the part that
// PoolRoute and HashRoute share. Built at config load; select() runs on worker threads (const, no locks).
#include <memory>
#include <string>

#include "proxy/protocol/request.hpp"
#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class HashSelector {
 public:
  HashSelector(std::unique_ptr<HashFunction> fn, std::string salt) : fn_(std::move(fn)), salt_(std::move(salt)) {}

  std::uint32_t select(const Request& req) const;
  // The choice for retry `attempt` (1, 2, ...): the routing key with "#<attempt>" appended, so a key whose
  // server is ejected lands on another server while every other key stays where it is.
  std::uint32_t select(const Request& req, unsigned attempt) const;
  std::uint32_t size() const noexcept { return fn_->size(); }

 private:
  std::unique_ptr<HashFunction> fn_;
  std::string salt_;
};

}  // namespace mcrelay
