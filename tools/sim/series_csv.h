#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/error/error.h"

namespace dots::sim {

// Timestamped series read from CSV files, for replay. Two forms are read:
// - NAB's: a header "timestamp,value", rows "2014-04-01 00:00:00,21.5"; one series per file,
//   named after the file (without ".csv");
// - `dotsctl readings export`'s: a header "gateway,sensor,time_ms,value"; one series per sensor
//   in the file.
// Rows that cannot be read (bad time, bad number, wrong field count) are skipped and counted.

struct SeriesPoint {
  std::int64_t time_ms = 0;
  double value = 0;
};

struct Series {
  std::string sensor;
  std::vector<SeriesPoint> points;  // in file order
};

struct SeriesFile {
  std::filesystem::path path;
  std::vector<Series> series;
  std::uint64_t bad_rows = 0;
  std::string first_bad;  // "line N: why", for the log
};

// "YYYY-MM-DD HH:MM:SS[.fraction]" (or with 'T', optionally ending in 'Z'), read as UTC, to
// milliseconds since the Unix epoch; nullopt when it is not such a time.
std::optional<std::int64_t> parseTimestamp(std::string_view text);

// Reads one file. Fails when it cannot be opened or its header is neither form.
Result<SeriesFile> readSeriesFile(const std::filesystem::path& path);

// `path` itself when it is a file; else the *.csv files below it, sorted by path.
Result<std::vector<std::filesystem::path>> seriesFilesAt(const std::filesystem::path& path);

}  // namespace dots::sim
