#include "bench/nab/nab_report.h"

#include <cstdio>

namespace dots::nab {

namespace {
// NAB's published scoreboard, standard profile (the leaders as of NAB 1.1).
struct Published {
  const char* detector;
  double standard;
};
constexpr Published kScoreboard[] = {
    {"ARTime", 74.9},
    {"Numenta HTM", 70.5},
    {"CAD OSE", 69.9},
    {"KNN-CAD", 58.0},
    {"Relative Entropy", 54.6},
    {"Random Cut Forest", 51.7},
    {"Windowed Gaussian", 39.6},
    {"null (no detections)", 0.0},
};

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
}  // namespace

std::map<std::string, double> report(const std::vector<LabelledSeries>& corpus,
                                     const std::vector<Profile>& profiles,
                                     const Detections& detections, std::ostream& out,
                                     bool per_file) {
  static const std::vector<std::size_t> kNone;
  std::map<std::string, double> scores;
  std::size_t readings = 0;
  std::size_t alerts = 0;
  for (const auto& s : corpus) {
    readings += s.values.size();
    auto it = detections.find(s.name);
    if (it != detections.end()) alerts += it->second.size();
  }
  out << "NAB corpus: " << corpus.size() << " files, " << readings << " readings, " << alerts
      << " detections\n\n";
  out << "| profile | score | raw | windows detected | false positives |\n|---|---|---|---|---|\n";
  for (const Profile& p : profiles) {
    std::vector<FileScore> files;
    for (const auto& s : corpus) {
      auto it = detections.find(s.name);
      files.push_back(
          scoreFile(s.values.size(), s.windows, it == detections.end() ? kNone : it->second, p));
    }
    CorpusScore c = scoreCorpus(files);
    scores[p.name] = c.normalised;
    out << "| " << p.name << " | " << fixed(c.normalised, 1) << " | " << fixed(c.total.raw, 2)
        << " | " << c.total.detected << " of " << c.total.windows << " | "
        << c.total.false_positives << " |\n";
  }
  out << "\nPublished scoreboard, standard profile (each detector with its own best threshold):\n";
  for (const auto& p : kScoreboard)
    out << "  " << p.detector << ": " << fixed(p.standard, 1) << "\n";

  const Profile& standard = profiles.front();
  std::map<std::string, FileScore> categories;
  out << "\n| category (standard profile) | windows detected | false positives | raw |\n"
         "|---|---|---|---|\n";
  for (const auto& s : corpus) {
    auto it = detections.find(s.name);
    FileScore f = scoreFile(s.values.size(), s.windows, it == detections.end() ? kNone : it->second,
                            standard);
    FileScore& c = categories[s.category];
    c.raw += f.raw;
    c.windows += f.windows;
    c.detected += f.detected;
    c.false_positives += f.false_positives;
    if (per_file) {
      out << "| " << s.name << " | " << f.detected << " of " << f.windows << " | "
          << f.false_positives << " | " << fixed(f.raw, 2) << " |\n";
    }
  }
  for (const auto& [name, c] : categories) {
    out << "| " << name << " | " << c.detected << " of " << c.windows << " | " << c.false_positives
        << " | " << fixed(c.raw, 2) << " |\n";
  }
  return scores;
}

}  // namespace dots::nab
