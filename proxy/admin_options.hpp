#pragma once
// mcrelay's options under mcrouter's option names, for `get __mcrouter__.options` (mcrouter prints its
// McrouterOptions and standalone options as "name value" lines, in the order of its option lists).
//
// Contract: any thread; a pure function of the parsed options.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "proxy/options.hpp"

namespace mcrelay {

// (name, value) pairs: mcrouter's name where mcrouter has the option, mcrelay's own (its flag's name with
// '_' for '-') where it does not. `workers`: the number of worker threads in use (num_proxies is never 0).
std::vector<std::pair<std::string, std::string>> mcrouter_options(const Options& o, std::size_t workers);

}  // namespace mcrelay
