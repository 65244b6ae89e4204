#include "cloud/handlers/anomaly/step_detector.h"

#include <algorithm>
#include <cmath>

namespace dots::cloud {

namespace {
// The mean absolute deviation of a normal variable is sigma * sqrt(2 / pi).
constexpr double kSigmaPerDeviation = 1.2533141373155003;
}  // namespace

double scoreStep(const StepParams& p, StepState& s, double value) {
  if (s.count++ == 0) {
    s.last = value;
    return 0;
  }
  double step = value - s.last;
  s.last = value;
  std::uint64_t steps = s.count - 1;
  if (steps <= p.warmup) {
    double n = static_cast<double>(steps);
    s.mean += (step - s.mean) / n;
    s.deviation += (std::fabs(step - s.mean) - s.deviation) / n;
    return 0;
  }
  double sigma = kSigmaPerDeviation * s.deviation;
  // A floor on the spread keeps a perfectly regular series from scoring infinity.
  double floor = 1e-9 + 1e-6 * std::fabs(s.last);
  double spread = std::max(sigma, floor);
  double score = std::fabs(step - s.mean) / spread;
  double fed = std::clamp(step, s.mean - p.clip * spread, s.mean + p.clip * spread);
  s.mean += p.alpha * (fed - s.mean);
  s.deviation += p.alpha * (std::fabs(fed - s.mean) - s.deviation);
  return score;
}

}  // namespace dots::cloud
