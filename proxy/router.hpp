#pragma once
// Router: the name proxy/ has used for one worker's route trees and their selection by routing prefix. That
// is now the root route (routes/root_route.hpp), which also owns the proxy's own replies, the admin keys and
// the flush_all broadcast; this alias keeps the callers that say Router compiling.
//
// Contract: as RootRoute's.
#include "routes/root_route.hpp"

namespace mcrelay {

using Router = RootRoute;

}  // namespace mcrelay
