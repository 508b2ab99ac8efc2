#pragma once
// HashSelector: picks a child index for a request by hashing its routing key (plus salt), the part that
// PoolRoute and HashRoute share. Built at config load; select() runs on worker threads (const, no locks).
#include <memory>
#include <string>
#include <vector>

#include "proxy/protocol/request.hpp"
#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class TwemproxyHash;

class HashSelector {
 public:
  HashSelector(std::unique_ptr<HashFunction> fn, std::string salt);

  std::uint32_t select(const Request& req) const;
  // The choice for retry `attempt` (1, 2, ...): the routing key with "#<attempt>" appended, so a key whose
  // server is ejected lands on another server while every other key stays where it is.
  std::uint32_t select(const Request& req, unsigned attempt) const;
  std::uint32_t size() const noexcept { return fn_->size(); }
  // twemproxy pools (TwemproxyHash) eject as twemproxy does: the choice among the servers whose `live` bit
  // is set, the distribution rebuilt over them. False for other hash functions (use select(req, attempt)).
  bool ejects_like_twemproxy() const noexcept { return twemproxy_ != nullptr; }
  std::uint32_t select_live(const Request& req, const std::vector<bool>& live) const;

 private:
  std::unique_ptr<HashFunction> fn_;
  std::string salt_;
  const TwemproxyHash* twemproxy_ = nullptr;  // fn_ itself when it is a TwemproxyHash
};

}  // namespace mcrelay
