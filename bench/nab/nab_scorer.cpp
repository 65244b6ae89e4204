#include "bench/nab/nab_scorer.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace dots::nab {

std::size_t probationLength(std::size_t rows) {
  return std::min<std::size_t>(
      static_cast<std::size_t>(std::floor(0.15 * static_cast<double>(rows))), 750);
}

double scaledSigmoid(double position) {
  if (position >= 3.0) return -1.0;
  return 2.0 / (1.0 + std::exp(5.0 * position)) - 1.0;
}

FileScore scoreFile(std::size_t rows, std::span<const Window> windows,
                    std::span<const std::size_t> detections, const Profile& profile) {
  FileScore score;
  const std::size_t probation = probationLength(rows);
  const double max_tp = scaledSigmoid(-1.0);
  // The best detection score of each window; nullopt: not detected (or not scored).
  std::vector<std::optional<double>> best(windows.size());
  for (std::size_t row : detections) {
    if (row < probation || row >= rows) continue;
    // The first window that ends at or after `row`.
    auto it = std::lower_bound(windows.begin(), windows.end(), row,
                               [](const Window& w, std::size_t r) { return w.last < r; });
    if (it != windows.end() && it->first <= row) {
      double width = static_cast<double>(it->last - it->first + 1);
      double position = -static_cast<double>(it->last - row + 1) / width;
      double tp = profile.tp_weight * scaledSigmoid(position) / max_tp;
      auto& slot = best[static_cast<std::size_t>(it - windows.begin())];
      slot = slot ? std::max(*slot, tp) : tp;
      continue;
    }
    ++score.false_positives;
    if (it == windows.begin()) {
      score.raw -= profile.fp_weight;  // before the first window
      continue;
    }
    const Window& previous = *(it - 1);
    double width = static_cast<double>(previous.last - previous.first + 1);
    double position = width > 1 ? static_cast<double>(row - previous.last) / (width - 1) : 3.0;
    score.raw += profile.fp_weight * scaledSigmoid(position);
  }
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (windows[i].last < probation) continue;
    ++score.windows;
    if (best[i]) {
      ++score.detected;
      score.raw += std::max(*best[i], -profile.fn_weight);
    } else {
      ++score.missed;
      score.raw -= profile.fn_weight;
    }
  }
  score.null_score = -profile.fn_weight * static_cast<double>(score.windows);
  score.perfect_score = profile.tp_weight * static_cast<double>(score.windows);
  return score;
}

CorpusScore scoreCorpus(std::span<const FileScore> files) {
  CorpusScore corpus;
  FileScore& t = corpus.total;
  for (const FileScore& f : files) {
    t.raw += f.raw;
    t.windows += f.windows;
    t.detected += f.detected;
    t.missed += f.missed;
    t.false_positives += f.false_positives;
    t.null_score += f.null_score;
    t.perfect_score += f.perfect_score;
  }
  double span = t.perfect_score - t.null_score;
  corpus.normalised = span > 0 ? 100.0 * (t.raw - t.null_score) / span : 0;
  return corpus;
}

}  // namespace dots::nab
