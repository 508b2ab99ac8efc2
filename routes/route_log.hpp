#pragma once
// RouteLog: where route handles write log lines (LoggingRoute), without routes/ depending on the proxy's
// logger. The worker implements it with mcrelay's logger (util/logging.hpp); tests record lines.
//
// Contract: write() is called on the owning worker thread, never throws, and writes one line.
#include <string_view>

namespace mcrelay {

class RouteLog {
 public:
  virtual ~RouteLog() = default;
  virtual void write(std::string_view line) noexcept = 0;
};

}  // namespace mcrelay
