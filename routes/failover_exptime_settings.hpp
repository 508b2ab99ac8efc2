#pragma once
// FailoverWithExptimeRoute's old "settings" object (mcrouter's FailoverWithExptimeSettings), turned into the
// failover errors and the failover tag the route's inner FailoverRoute uses.
//
// Contract: called by FailoverWithExptimeRoute::build at config load, on the thread building the tree; throws
// ConfigError through RouteFactory::fail. Unknown keys follow the unknown-key policy (routes/route_helpers.hpp
// check_keys).
//
// JSON (every key optional):
//   "settings": {
//     "gets": true, "updates": true, "deletes": false,  // the defaults of the three switches below
//     "tko": true | {"gets": .., "updates": .., "deletes": ..},             // TKO, connect error, busy
//     "connectTimeout": true | {...},                                        // connect timeout
//     "dataTimeout": true | {...},                                           // timeout, SERVER_ERROR
//     "failover_tag": false                                                  // as FailoverRoute's failover_tag
//   }
// Each switch says, per operation class, whether its errors fail over; unset classes default to gets and
// updates on, deletes off (mcrouter's defaults). The result is a FailoverErrors listing, per class, the
// errors of the switches that are on; a local error (mcrelay's own failure) never fails over under
// "settings", and other operations (arithmetic, touch) keep the default failover errors.
#include <string>

#include <nlohmann/json.hpp>

#include "routes/failover_errors.hpp"

namespace mcrelay {

class RouteFactory;

struct FailoverExptimeSettings {
  FailoverErrors errors;
  bool failover_tag = false;
};

// `j` is the value of "settings"; `path` is its JSON path.
FailoverExptimeSettings parse_failover_exptime_settings(const RouteFactory& f, const nlohmann::json& j,
                                                        const std::string& path);

}  // namespace mcrelay
