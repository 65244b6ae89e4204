#pragma once

#include <cstdint>

#include "cloud/handlers/anomaly/histogram.h"
#include "cloud/handlers/anomaly/step_detector.h"

namespace dots::cloud {

// method=density: how surprising a reading is, judged against the sensor's own history of
// surprise. The raw score in [0, 1] mixes how rare the value is and how rare the step from the
// last value is, each in a histogram of its own with forgetting (`memory` readings) and a range
// learned online (Histogram), so a pattern that recurs (a daily square wave, regular bursts)
// stops being surprising while a new level, a new kind of step or a lone spike is.
// The raw score is then turned into an anomaly likelihood as in Ahmad, Lavin, Purdy and Agha,
// "Unsupervised real-time anomaly detection for streaming data" (Neurocomputing 262, 2017): a
// short average of the raw score compared with the long-run mean and spread of raw scores, in
// standard deviations; here both averages are exponential, so no window of scores is kept.
struct DensityParams {
  StepParams step;
  double memory = 5000;  // readings the histograms remember (1/e)
  // A score counts only when the value is also `gate` or more standard deviations from its
  // exponential average (weight `gate_alpha`): a wandering series rarely is, a new level or a
  // spike is. 0: off.
  double gate = 3;
  double gate_alpha = 0.01;
  // The gate applies only to a series that wanders: whose values vary about their slow
  // average more than `wander` times as much as its steps do (a random walk's ratio grows
  // without bound, stationary noise's is about 1/2). 0: always.
  double wander = 10;
  double mix = 0.25;           // weight of the step's rarity; the rest is the value's
  double short_alpha = 0.1;    // the short average of raw scores
  double long_alpha = 0.001;   // the long-run mean and variance of raw scores
  std::uint32_t warmup = 150;  // readings before any score
  // A step score (method=ewma's) of `jump` or more, on a step that is also rare, counts as
  // `jump_equals` (the handler's sensitivity) on its own, so a lone spike is not averaged
  // away; 0: off.
  double jump = 10;
  double jump_equals = 3;
};

struct DensityState {
  StepState step;
  std::uint64_t count = 0;
  double short_mean = 0;
  double long_mean = 0;
  double long_var = 0;
  double gate_mean = 0;
  double gate_var = 0;
  Histogram values;
  Histogram steps;
};

// The likelihood score of `value` in standard deviations of the long run (or the jump's, when
// higher), 0 while warming up.
double scoreDensity(const DensityParams& p, DensityState& s, double value);

}  // namespace dots::cloud
