#pragma once

#include <istream>
#include <string>
#include <vector>

#include "bench/nab/nab_corpus.h"
#include "bench/nab/nab_report.h"

namespace dots::nab {

// Runs a fresh handler built from `spec` over every file of `corpus` (each its own sensor, fed
// in batches of 100 as a gateway would) and returns the rows where it raised an alert.
Detections detectOffline(const std::vector<LabelledSeries>& corpus, const std::string& spec);

// Raised alerts per series on `series` seeded random walks of `length` readings (steps
// N(0, 0.05), N(0, 0.2) or N(0, 5) in turn, rounded to 0.01, as the unit tests make them): clean
// series, where every alert is a false one.
std::vector<std::size_t> alertsOnWalks(const std::string& spec, std::size_t series,
                                       std::size_t length);

// Reads "sensor,time_ms" lines (a header line allowed) of raised alerts and maps them to rows:
// the sensor is the file's name without ".csv". Throws on a sensor or time not in the corpus.
Detections detectionsFromAlerts(const std::vector<LabelledSeries>& corpus, std::istream& in);

}  // namespace dots::nab
