#include "cloud/handlers/anomaly/density_detector.h"

#include <algorithm>
#include <cmath>

namespace dots::cloud {

double scoreDensity(const DensityParams& p, DensityState& s, double value, std::int64_t time_ms) {
  double previous = s.step.last;
  double step_score = scoreStep(p.step, s.step, value);
  double value_rarity = s.values.observe(value, p.memory);
  if (s.count == 0) s.gate_mean = value;
  double gate_delta = value - s.gate_mean;
  double gate_z = std::fabs(gate_delta) / std::max(std::sqrt(s.gate_var), 1e-12);
  s.gate_mean += p.gate_alpha * gate_delta;
  s.gate_var = (1 - p.gate_alpha) * (s.gate_var + p.gate_alpha * gate_delta * gate_delta);
  if (p.daily) {
    constexpr std::int64_t kSlotMs = 86'400'000 / DensityState::kHours;
    auto h = static_cast<std::size_t>(
        ((time_ms / kSlotMs) % DensityState::kHours + DensityState::kHours) % DensityState::kHours);
    float& m = s.hour_mean[h];
    float& v = s.hour_var[h];
    if (s.hour_seen[h] == 0) m = static_cast<float>(value);
    if (s.hour_seen[h] < 0xffff) ++s.hour_seen[h];
    double d = value - m;
    // While an hour has few readings, the overall spread stands in for its own.
    double var = s.hour_seen[h] > 20 ? v : s.gate_var;
    gate_z = std::fabs(d) / std::max(std::sqrt(var), 1e-12);
    double a = std::max(p.gate_alpha, 1.0 / s.hour_seen[h]);
    m += static_cast<float>(a * d);
    v = static_cast<float>((1 - a) * (v + a * d * d));
  }
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
  double jumped = p.jump > 0 && step_rarity >= 0.99 ? step_score / p.jump * p.equals : 0;
  double contextual = p.context > 0 ? gate_z / p.context * p.equals : 0;
  double score = std::max({0.0, z, jumped, contextual});
  double step_sd = 1.2533141373155003 * s.step.deviation;
  bool wanders = p.wander == 0 || s.gate_var > p.wander * step_sd * step_sd;
  if (p.gate > 0 && wanders && gate_z < p.gate) score = 0;
  return score;
}

}  // namespace dots::cloud
