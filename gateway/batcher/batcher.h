#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "shared/model/reading.h"

namespace dots::gateway {

// Groups readings into batches: a batch is due when it holds `max_readings` or when its oldest
// reading has waited `linger`. Time is passed in so the policy can be tested without a clock.
// Not thread-safe; the owner serialises access.
class Batcher {
 public:
  using Clock = std::chrono::steady_clock;

  Batcher(std::chrono::milliseconds linger, std::size_t max_readings);

  void add(Reading reading, Clock::time_point now);
  std::size_t size() const { return pending_.size(); }
  bool full() const { return pending_.size() >= max_readings_; }
  bool due(Clock::time_point now) const;
  // When the pending batch becomes due by age; nullopt when empty.
  std::optional<Clock::time_point> deadline() const;
  // Takes up to max_readings of the oldest pending readings as one batch.
  Batch take();

 private:
  std::chrono::milliseconds linger_;
  std::size_t max_readings_;
  std::vector<Reading> pending_;
  Clock::time_point first_at_{};
};

}  // namespace dots::gateway
