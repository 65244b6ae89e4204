#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace dots::nab {

// The scoring rules of the Numenta Anomaly Benchmark (Lavin & Ahmad, "Evaluating Real-time
// Anomaly Detection Algorithms - the Numenta Anomaly Benchmark", 2015, and NAB's scoring notes),
// applied to detections that are already yes/no (an alert on a row), so no threshold is swept:
// - Each labelled anomaly has a window of rows around it. The first (earliest) detection in a
//   window scores tp_weight * S(y) / S(-1), where y = -(last - row + 1) / width is the
//   detection's place in the window (-1 at its first row, near 0 at its last) and
//   S(y) = 2 / (1 + e^(5y)) - 1 is the scaled sigmoid; later detections in the window add
//   nothing. A window without a detection costs fn_weight.
// - A detection outside every window costs fp_weight * S(y) with y = (row - last) / (width - 1)
//   measured from the end of the window before it (S(y) = -1 for y >= 3, and for detections
//   before the first window), so a detection just after a window costs little.
// - The probationary period, the first min(floor(0.15 * rows), 750) rows, is not scored: neither
//   its detections nor windows that lie wholly inside it.
// - A corpus score is normalised between the null detector (no detections: -fn_weight per
//   window) at 0 and the perfect one (tp_weight per window) at 100.

struct Profile {
  std::string name;
  double tp_weight = 1;
  double fp_weight = 0.11;
  double fn_weight = 1;
};

// Inclusive row indices of one labelled window.
struct Window {
  std::size_t first = 0;
  std::size_t last = 0;
};

// One file's score under one profile.
struct FileScore {
  double raw = 0;
  std::size_t windows = 0;  // scored windows (not wholly inside the probationary period)
  std::size_t detected = 0;
  std::size_t missed = 0;
  std::size_t false_positives = 0;
  double null_score = 0;     // what no detections score here
  double perfect_score = 0;  // what a detection on the first row of every window scores
};

std::size_t probationLength(std::size_t rows);
double scaledSigmoid(double position);

// `windows` sorted and disjoint; `detections` are row indices in any order, duplicates allowed.
FileScore scoreFile(std::size_t rows, std::span<const Window> windows,
                    std::span<const std::size_t> detections, const Profile& profile);

// Sums file scores; `normalised` is 100 * (raw - null) / (perfect - null).
struct CorpusScore {
  FileScore total;
  double normalised = 0;
};
CorpusScore scoreCorpus(std::span<const FileScore> files);

}  // namespace dots::nab
