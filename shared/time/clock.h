#pragma once

#include <chrono>
#include <cstdint>

namespace dots {

// Wall-clock milliseconds since the Unix epoch (reading timestamps).
inline std::int64_t wallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using SteadyClock = std::chrono::steady_clock;

}  // namespace dots
