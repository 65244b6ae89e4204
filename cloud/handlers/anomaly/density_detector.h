#pragma once

#include <array>
#include <cstdint>

#include "cloud/handlers/anomaly/histogram.h"
#include "cloud/handlers/anomaly/step_detector.h"

namespace dots::cloud {

// method=density: how surprising a reading is, judged against the sensor's own history of
// surprise, and against what the sensor usually reads at that hour of the day.
// - The raw score in [0, 1] mixes how rare the value is and how rare the step from the last
//   value is, each in a histogram of its own with forgetting (`memory` readings) and a range
//   learned online (Histogram), so a pattern that recurs (a square wave, regular bursts) stops
//   being surprising while a new level, a new kind of step or a lone spike is.
// - The raw score becomes an anomaly likelihood as in Ahmad, Lavin, Purdy and Agha,
//   "Unsupervised real-time anomaly detection for streaming data" (Neurocomputing 262, 2017): a
//   short average of the raw score against the long-run mean and spread of that average, in
//   standard deviations; both averages are exponential, so no window of scores is kept.
// - The context: an exponential mean and variance of the value for each hour of the day (of
//   the reading's own time, UTC). A value far from its hour's mean is anomalous on its own
//   (`context` standard deviations) and a score counts only when the value is at least `gate`
//   standard deviations from it: a series that wanders (a random walk) or keeps its daily
//   rhythm rarely is; a new level, a spike or a day that breaks the rhythm is.
struct DensityParams {
  StepParams step;
  double memory = 5000;        // readings the histograms remember (1/e)
  double mix = 0.25;           // weight of the step's rarity; the rest is the value's
  double short_alpha = 0.05;   // the short average of raw scores
  double long_alpha = 0.001;   // the long-run mean and variance of raw scores
  std::uint32_t warmup = 150;  // readings before any score
  // A step score (method=ewma's) of `jump` or more, on a step that is also rare, counts as
  // `equals` (the handler's sensitivity) on its own, so a lone spike is not averaged away;
  // 0: off.
  double jump = 7;
  // A value `context` or more standard deviations from its hour's mean counts as `equals` on
  // its own; 0: off.
  double context = 12;
  double equals = 3;
  // A score counts only when the value is `gate` or more standard deviations from the mean of
  // its hour (`daily`) or of all readings (weight `gate_alpha` per reading); 0: off.
  double gate = 3;
  double gate_alpha = 0.01;
  bool daily = true;
  // The gate applies only to a series whose values vary about their slow average more than
  // `wander` times as much as its steps do (a random walk's ratio grows without bound,
  // stationary noise's is about 1/2); 0: to every series.
  double wander = 0;
};

struct DensityState {
  static constexpr std::size_t kHours = 24;
  StepState step;
  std::uint64_t count = 0;
  double short_mean = 0;
  double long_mean = 0;
  double long_var = 0;
  double gate_mean = 0;
  double gate_var = 0;
  std::array<float, kHours> hour_mean{};
  std::array<float, kHours> hour_var{};
  std::array<std::uint16_t, kHours> hour_seen{};  // readings in each hour (saturating)
  Histogram values;
  Histogram steps;
};

// The score of `value` read at `time_ms`, in standard deviations (the likelihood's, the
// jump's or the context's, whichever is highest), 0 while warming up or held by the gate.
double scoreDensity(const DensityParams& p, DensityState& s, double value, std::int64_t time_ms);

}  // namespace dots::cloud
