#pragma once
// HashSelector: picks a child index for a request by hashing its routing key (plus salt), the part that
// PoolRoute and HashRoute share. Built at config load; select() runs on worker threads (const, no locks).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/request.hpp"
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
  // The same two choices for bytes other than the routing key (a bucketized PoolRoute hashes the key's
  // bucket id, routes/key_bucketizer.hpp); the salt is appended as for a routing key.
  std::uint32_t select_key(std::string_view key) const;
  std::uint32_t select_key(std::string_view key, unsigned attempt) const;
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

class RouteFactory;

// Config load only (throws ConfigError through `f`): mcrouter's hash functions that read more than a name from
// the hash object `spec` (PoolRoute's "hash" merged over the pool's "tags"; HashRoute's own keys):
//   "Rendezvous"          needs "tags": one string per child (the names the servers are hashed by).
//   "WeightedRendezvous"  needs "tags" and "weights": {"<tag>": weight, ...} (a tag without one weighs 0.5).
//   "WeightedCh3Rv"       needs "weights_rv": the name of the runtime variable with the weights. mcrelay reads
//                         no runtime variables, so every weight is 0.5, as in mcrouter before its runtime
//                         variables file is read (placement = WeightedCh3 with weights 0.5).
// Returns nullptr when `func` is none of these.
std::unique_ptr<HashFunction> make_tagged_hash_function(const RouteFactory& f, std::string_view func,
                                                        const nlohmann::json& spec, const std::string& path,
                                                        std::uint32_t n);

}  // namespace mcrelay
