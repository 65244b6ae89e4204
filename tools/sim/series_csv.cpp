#include "tools/sim/series_csv.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

namespace dots::sim {

namespace {
template <typename T>
bool readNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}
}  // namespace

std::optional<std::int64_t> parseTimestamp(std::string_view t) {
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!readNumber(t.substr(0, 4), y) || !readNumber(t.substr(5, 2), mo) ||
      !readNumber(t.substr(8, 2), d) || !readNumber(t.substr(11, 2), h) ||
      !readNumber(t.substr(14, 2), mi) || !readNumber(t.substr(17, 2), s)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::string_view rest = t.substr(19);
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  std::int64_t ms = 0;
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2) return std::nullopt;
    std::string_view digits = rest.substr(1);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    std::string three(digits.substr(0, 3));
    three.resize(3, '0');
    readNumber(std::string_view(three), ms);
  }
  auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return ((static_cast<std::int64_t>(days) * 24 + h) * 60 + mi) * 60000 +
         static_cast<std::int64_t>(s) * 1000 + ms;
}

Result<SeriesFile> readSeriesFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot-read", path.string());
  SeriesFile file;
  file.path = path;
  std::string line;
  if (!std::getline(in, line)) return fail("bad-series", path.string() + ": empty file");
  auto header = splitFields(line);
  for (auto& f : header) f = trim(f);
  bool nab = header.size() == 2 && header[0] == "timestamp" && header[1] == "value";
  bool exported = header.size() == 4 && header[0] == "gateway" && header[1] == "sensor" &&
                  header[2] == "time_ms" && header[3] == "value";
  if (!nab && !exported) {
    return fail("bad-series", path.string() +
                                  ": the header is neither timestamp,value nor "
                                  "gateway,sensor,time_ms,value");
  }
  std::map<std::string, std::size_t, std::less<>> index;  // sensor -> place in file.series
  if (nab) file.series.push_back(Series{path.stem().string(), {}});
  std::uint64_t line_no = 1;
  auto bad = [&](const std::string& why) {
    if (file.bad_rows++ == 0) file.first_bad = "line " + std::to_string(line_no) + ": " + why;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    auto fields = splitFields(line);
    if (fields.size() != header.size()) {
      bad("expected " + std::to_string(header.size()) + " fields");
      continue;
    }
    for (auto& f : fields) f = trim(f);
    SeriesPoint p;
    if (!readNumber(fields.back(), p.value) || !std::isfinite(p.value)) {
      bad("bad value");
      continue;
    }
    if (nab) {
      auto t = parseTimestamp(fields[0]);
      if (!t) {
        bad("bad timestamp");
        continue;
      }
      p.time_ms = *t;
      file.series[0].points.push_back(p);
      continue;
    }
    if (!readNumber(fields[2], p.time_ms) || fields[1].empty()) {
      bad("bad sensor or time_ms");
      continue;
    }
    auto it = index.find(fields[1]);
    if (it == index.end()) {
      it = index.emplace(std::string(fields[1]), file.series.size()).first;
      file.series.push_back(Series{std::string(fields[1]), {}});
    }
    file.series[it->second].points.push_back(p);
  }
  return file;
}

Result<std::vector<std::filesystem::path>> seriesFilesAt(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return std::vector{path};
  if (!std::filesystem::is_directory(path, ec)) return fail("cannot-read", path.string());
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".csv") files.push_back(it->path());
  }
  if (ec) return fail("cannot-read", path.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace dots::sim
