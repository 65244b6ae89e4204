#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "shared/model/reading.h"

namespace dots::gateway {

// Where an input hands its readings; called on the input's own thread.
using ReadingSink = std::function<void(std::vector<Reading>&& readings)>;

// One input instance's counters.
struct InputStats {
  std::uint64_t messages = 0;                     // messages taken, good and bad
  std::uint64_t readings = 0;                     // readings handed to the sink
  std::map<std::string, std::uint64_t> rejected;  // bad messages by reason
};

// A configured source of sensor readings (one folder per kind under inputs/). Built at start-up
// with its sink; start() and stop() are called from the gateway's control thread, the other
// members from any thread.
class Input {
 public:
  virtual ~Input() = default;

  // The instance's name from the config, for logs.
  virtual const std::string& name() const = 0;
  virtual void start() = 0;
  // Stops taking readings. Idempotent.
  virtual void stop() = 0;
  virtual bool connected() const = 0;
  virtual InputStats stats() const = 0;
};

}  // namespace dots::gateway
