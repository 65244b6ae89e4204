#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bench/nab/nab_corpus.h"

namespace dots::nab {

// Detections (row indices) per file, by the file's name in the corpus.
using Detections = std::map<std::string, std::vector<std::size_t>>;

// Scores `detections` on `corpus` under every profile and prints the table: each profile's
// normalised score beside the published scoreboard, then detections and false positives per
// category (standard profile). Returns the normalised scores by profile name.
std::map<std::string, double> report(const std::vector<LabelledSeries>& corpus,
                                     const std::vector<Profile>& profiles,
                                     const Detections& detections, std::ostream& out,
                                     bool per_file);

}  // namespace dots::nab
