#pragma once

#include <algorithm>
#include <cstdint>

namespace dots::cloud {

// Turns a detector's per-reading verdicts into episodes: one alert when an anomaly starts, none
// while it lasts, a clear when `clear_after` readings in a row are normal again, and no new
// raise within `refractory` readings of the last one (so a burst of anomalous readings is one
// episode, not one alert per row). Pure; the state is per sensor.
struct EpisodeParams {
  std::uint32_t refractory = 200;
  std::uint32_t clear_after = 50;
  // Within the refractory period (and the episode's clearing), a score `escalate` times the
  // highest since the last raise raises a new alert: a much worse anomaly is news. 0: never.
  float escalate = 3;
};

struct EpisodeState {
  bool raised = false;
  std::uint32_t since_raise = 0xffffffff;  // readings since the last raise (saturating)
  std::uint32_t calm = 0;                  // normal readings in a row while raised
  float raised_at = 0;                     // the highest score since the last raise
};

enum class Transition { kNone, kRaise, kClear };

inline Transition stepEpisode(const EpisodeParams& p, EpisodeState& s, bool anomalous,
                              float score = 0) {
  if (s.since_raise != 0xffffffff) ++s.since_raise;
  bool escalates = anomalous && p.escalate > 0 && s.since_raise != 0xffffffff &&
                   score >= p.escalate * s.raised_at;
  // The bar is the highest score since the raise, so an anomaly whose score is still climbing
  // does not raise again.
  if (!escalates && s.since_raise != 0xffffffff) s.raised_at = std::max(s.raised_at, score);
  if (escalates) {
    s.raised = true;
    s.since_raise = 0;
    s.calm = 0;
    s.raised_at = score;
    return Transition::kRaise;
  }
  if (s.raised) {
    s.calm = anomalous ? 0 : s.calm + 1;
    if (s.calm < p.clear_after) return Transition::kNone;
    s.raised = false;
    return Transition::kClear;
  }
  if (!anomalous || s.since_raise < p.refractory) return Transition::kNone;
  s.raised = true;
  s.since_raise = 0;
  s.calm = 0;
  s.raised_at = score;
  return Transition::kRaise;
}

}  // namespace dots::cloud
