#pragma once

#include <cstdint>

namespace dots::cloud {

// method=ewma: scores the step between consecutive readings against an exponentially weighted
// mean and mean absolute deviation of past steps (Roberts' EWMA control chart, 1959, with the
// mean absolute deviation as a robust spread). Every step is fed back, winsorised at `clip`
// spreads from the mean, so one spike moves the statistics only a little while a series that
// turns bursty raises its spread within about 1/alpha readings instead of staying in alarm.
struct StepParams {
  double alpha = 0.01;
  std::uint32_t warmup = 50;  // steps averaged plainly before any score
  double clip = 4;
};

struct StepState {
  std::uint64_t count = 0;
  double last = 0;
  double mean = 0;       // of steps
  double deviation = 0;  // mean absolute deviation of steps from `mean`
};

// The score of `value` in spreads (standard deviations of a normal step), 0 while warming up.
double scoreStep(const StepParams& p, StepState& s, double value);

}  // namespace dots::cloud
