#pragma once
// The mcrouter-format JSON form of a twemproxy pool hash (PoolRoute / HashRoute "hash" object):
//   "hash": {"hash_func": "Ketama" | "Modula" | "Random",
//            "twemproxy": {"hash": "fnv1a_64",        // one of twemproxy's 12 hashes, default fnv1a_64
//                          "hash_tag": "{}",          // optional, exactly 2 characters
//                          "weights": [1, 2, 1],      // optional whole numbers >= 1, one per server
//                          "names": ["a", "b", "c"]}} // optional twemproxy server names (seed ketama)
// "Modula" and "Random" need no "twemproxy" object (defaults above); "Ketama" without it keeps the older
// fnv1a_64 KetamaHash of make_hash_function (same placement as {"twemproxy": {}}).
//
// Contract: called by make_hash_selector() at config load, on the thread building the route tree; reports
// errors through RouteFactory::fail (throws ConfigError).
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes/hash/hash_function.hpp"

namespace mcrelay {

class RouteFactory;

// True when `func` / `spec` ask for a TwemproxyHash.
bool is_twemproxy_hash_spec(const std::string& func, const nlohmann::json& spec);

// `server_ids`: the pool's ketama ids from host:port (ketama_server_id), overridden by "names"; may be empty
// for a HashRoute (then "names" is required with ketama).
std::unique_ptr<HashFunction> make_twemproxy_hash(RouteFactory& f, const std::string& func,
                                                  const nlohmann::json& spec, const std::string& path,
                                                  std::uint32_t n, const std::vector<std::string>& server_ids);

}  // namespace mcrelay
