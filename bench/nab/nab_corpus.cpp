#include "bench/nab/nab_corpus.h"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "tools/sim/series_csv.h"

namespace dots::nab {

namespace {
simdjson::dom::element parseFile(simdjson::dom::parser& parser, const std::filesystem::path& p) {
  simdjson::dom::element root;
  if (parser.load(p.string()).get(root)) throw std::runtime_error("cannot read " + p.string());
  return root;
}
}  // namespace

std::size_t rowAt(const LabelledSeries& series, std::int64_t time_ms) {
  auto it = std::lower_bound(series.times_ms.begin(), series.times_ms.end(), time_ms);
  if (it == series.times_ms.end() || *it != time_ms) return std::string::npos;
  return static_cast<std::size_t>(it - series.times_ms.begin());
}

std::vector<LabelledSeries> loadCorpus(const std::filesystem::path& nab_dir) {
  simdjson::dom::parser parser;
  auto windows_path = nab_dir / "labels" / "combined_windows.json";
  simdjson::dom::object labels;
  if (parseFile(parser, windows_path).get(labels))
    throw std::runtime_error(windows_path.string() + ": not an object");
  std::vector<LabelledSeries> corpus;
  for (auto [key, value] : labels) {
    LabelledSeries s;
    s.name = std::string(key);
    s.category = s.name.substr(0, s.name.find('/'));
    auto file = sim::readSeriesFile(nab_dir / "data" / s.name);
    if (!file) throw std::runtime_error(file.error().describe());
    if (file->bad_rows > 0 || file->series.size() != 1)
      throw std::runtime_error(s.name + ": " + file->first_bad);
    for (const auto& p : file->series[0].points) {
      // A time not after the row before's (a few files repeat times at a clock change) is moved 1
      // ms past the row before, as dots-sim's replay sends it; a window's time names its first row,
      // as in NAB.
      s.times_ms.push_back(s.times_ms.empty() ? p.time_ms
                                              : std::max(p.time_ms, s.times_ms.back() + 1));
      s.values.push_back(p.value);
    }
    simdjson::dom::array windows;
    if (value.get(windows)) throw std::runtime_error(s.name + ": windows not a list");
    for (auto w : windows) {
      std::string_view from, to;
      if (w.at(0).get(from) || w.at(1).get(to))
        throw std::runtime_error(s.name + ": a window is not two times");
      auto t0 = sim::parseTimestamp(from);
      auto t1 = sim::parseTimestamp(to);
      std::size_t first = t0 ? rowAt(s, *t0) : std::string::npos;
      std::size_t last = t1 ? rowAt(s, *t1) : std::string::npos;
      if (first == std::string::npos || last == std::string::npos || last < first)
        throw std::runtime_error(s.name + ": window " + std::string(from) + " not on the rows");
      s.windows.push_back(Window{first, last});
    }
    corpus.push_back(std::move(s));
  }
  std::sort(corpus.begin(), corpus.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return corpus;
}

std::vector<Profile> loadProfiles(const std::filesystem::path& nab_dir) {
  simdjson::dom::parser parser;
  auto path = nab_dir / "config" / "profiles.json";
  simdjson::dom::object root;
  if (parseFile(parser, path).get(root))
    throw std::runtime_error(path.string() + ": not an object");
  std::vector<Profile> profiles;
  for (auto [name, value] : root) {
    Profile p;
    p.name = std::string(name);
    auto costs = value["CostMatrix"];
    if (costs["tpWeight"].get(p.tp_weight) || costs["fpWeight"].get(p.fp_weight) ||
        costs["fnWeight"].get(p.fn_weight)) {
      throw std::runtime_error(path.string() + ": " + p.name + " lacks a weight");
    }
    profiles.push_back(std::move(p));
  }
  return profiles;
}

}  // namespace dots::nab
