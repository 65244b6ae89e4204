#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/nab/nab_scorer.h"

namespace dots::nab {

// One NAB data file with its labelled windows as row indices.
struct LabelledSeries {
  std::string name;      // "realKnownCause/nyc_taxi.csv", as NAB's label files name it
  std::string category;  // "realKnownCause"
  std::vector<std::int64_t> times_ms;  // strictly increasing (see loadCorpus)
  std::vector<double> values;
  std::vector<Window> windows;
};

// Reads every data file under `nab_dir`/data and its windows from
// `nab_dir`/labels/combined_windows.json. A time not after the row before's is moved 1 ms
// past it (as dots-sim's replay does). Throws std::runtime_error naming what is wrong.
std::vector<LabelledSeries> loadCorpus(const std::filesystem::path& nab_dir);

// The cost profiles in `nab_dir`/config/profiles.json, in file order.
std::vector<Profile> loadProfiles(const std::filesystem::path& nab_dir);

// The row whose time is `time_ms` exactly; npos when there is none.
std::size_t rowAt(const LabelledSeries& series, std::int64_t time_ms);

}  // namespace dots::nab
