#include "cloud/handlers/anomaly/density_detector.h"

#include <algorithm>
#include <cmath>

namespace dots::cloud {

double scoreDensity(const DensityParams& p, DensityState& s, double value) {
  double previous = s.step.last;
  double step_score = scoreStep(p.step, s.step, value);
  double value_rarity = s.values.observe(value, p.memory);
  if (s.count == 0) s.gate_mean = value;
  double gate_delta = value - s.gate_mean;
  double gate_z = std::fabs(gate_delta) / std::max(std::sqrt(s.gate_var), 1e-12);
  s.gate_mean += p.gate_alpha * gate_delta;
  s.gate_var = (1 - p.gate_alpha) * (s.gate_var + p.gate_alpha * gate_delta * gate_delta);
  double step_rarity = s.count++ > 0 ? s.steps.observe(value - previous, p.memory) : 0;
  double raw = p.mix * step_rarity + (1 - p.mix) * value_rarity;
  s.short_mean += p.short_alpha * (raw - s.short_mean);
  if (s.count <= p.warmup) {
    double n = static_cast<double>(s.count);
    double delta = s.short_mean - s.long_mean;
    s.long_mean += delta / n;
    s.long_var += (delta * (s.short_mean - s.long_mean) - s.long_var) / n;
    return 0;
  }
  double delta = s.short_mean - s.long_mean;
  double z = delta / std::max(std::sqrt(std::max(s.long_var, 0.0)), 1e-3);
  s.long_mean += p.long_alpha * delta;
  s.long_var = (1 - p.long_alpha) * (s.long_var + p.long_alpha * delta * delta);
  double jumped = p.jump > 0 && step_rarity >= 0.99 ? step_score / p.jump * p.jump_equals : 0;
  double score = std::max({0.0, z, jumped});
  double step_sd = 1.2533141373155003 * s.step.deviation;
  bool wanders = p.wander == 0 || s.gate_var > p.wander * step_sd * step_sd;
  if (p.gate > 0 && wanders && gate_z < p.gate) score = 0;
  return score;
}

}  // namespace dots::cloud
