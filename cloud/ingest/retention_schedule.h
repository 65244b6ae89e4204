#pragma once

#include <chrono>

#include "shared/time/clock.h"

namespace dots::cloud {

// When the commit worker runs a retention pass: at start, then every `interval`; and again
// right after the next group while a pass stopped at its row budget, so a backlog of expired
// rows is worked off between groups, a bounded pass at a time. Time is passed in.
class RetentionSchedule {
 public:
  explicit RetentionSchedule(std::chrono::milliseconds interval) : interval_(interval) {}

  bool due(SteadyClock::time_point now) const { return now >= next_; }
  void ran(SteadyClock::time_point now, bool more) { next_ = more ? now : now + interval_; }
  // A failed pass waits a whole interval before the next try.
  void failed(SteadyClock::time_point now) { next_ = now + interval_; }

 private:
  std::chrono::milliseconds interval_;
  SteadyClock::time_point next_{};
};

}  // namespace dots::cloud
