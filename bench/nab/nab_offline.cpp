#include "bench/nab/nab_offline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>

#include "cloud/handlers/handler_table.h"
#include "cloud/store/alert_only_sink.h"

namespace dots::nab {

namespace {
std::string sensorOf(const LabelledSeries& s) {
  return std::filesystem::path(s.name).stem().string();
}

// The times of the raised alerts of a fresh handler from `spec` on one series.
std::vector<std::int64_t> raisedOn(const std::string& spec, const std::string& sensor,
                                   const std::vector<std::int64_t>& times,
                                   const std::vector<double>& values) {
  auto handler = cloud::makeHandler(spec);
  if (!handler) throw std::runtime_error(handler.error().describe());
  cloud::AlertOnlySink sink;
  std::vector<Reading> batch;
  for (std::size_t i = 0; i < values.size(); i += 100) {
    batch.clear();
    for (std::size_t j = i; j < std::min(i + 100, values.size()); ++j)
      batch.push_back(Reading{sensor, "", times[j], ValueKind::kNumber, values[j], "", {}});
    cloud::HandlerContext ctx{1, "nab", "nab", "nab", false, sink, {}};
    if (auto r = (*handler)->process(batch, ctx); !r)
      throw std::runtime_error(r.error().describe());
    (*handler)->commit();
  }
  std::vector<std::int64_t> raised;
  for (const cloud::Alert& a : sink.alerts)
    if (a.state == "raised") raised.push_back(a.time_ms);
  return raised;
}
}  // namespace

Detections detectOffline(const std::vector<LabelledSeries>& corpus, const std::string& spec) {
  Detections detections;
  for (const auto& s : corpus) {
    auto& rows = detections[s.name];
    for (std::int64_t t : raisedOn(spec, sensorOf(s), s.times_ms, s.values))
      rows.push_back(rowAt(s, t));
  }
  return detections;
}

std::vector<std::size_t> alertsOnWalks(const std::string& spec, std::size_t series,
                                       std::size_t length) {
  std::vector<std::size_t> alerts;
  for (std::uint64_t seed = 1; seed <= series; ++seed) {
    double step = seed % 3 == 0 ? 0.05 : seed % 3 == 1 ? 0.2 : 5.0;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> values;
    std::vector<std::int64_t> times;
    double v = 20;
    for (std::size_t i = 0; i < length; ++i) {
      v = std::round((v + step * noise(rng)) * 100) / 100;
      values.push_back(v);
      times.push_back(static_cast<std::int64_t>(i) * 1000);
    }
    alerts.push_back(raisedOn(spec, "walk", times, values).size());
  }
  return alerts;
}

Detections detectionsFromAlerts(const std::vector<LabelledSeries>& corpus, std::istream& in) {
  std::map<std::string, const LabelledSeries*> by_sensor;
  for (const auto& s : corpus) by_sensor[sensorOf(s)] = &s;
  Detections detections;
  std::string line;
  while (std::getline(in, line)) {
    auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    std::string sensor = line.substr(0, comma);
    std::int64_t t = 0;
    const char* begin = line.data() + comma + 1;
    const char* end = line.data() + line.size();
    while (end > begin && (end[-1] == '\r' || end[-1] == ' ')) --end;
    if (std::from_chars(begin, end, t).ec != std::errc()) {
      if (sensor == "sensor") continue;  // the header
      throw std::runtime_error("bad alert line: " + line);
    }
    auto it = by_sensor.find(sensor);
    if (it == by_sensor.end()) throw std::runtime_error("alert for an unknown sensor: " + sensor);
    std::size_t row = rowAt(*it->second, t);
    if (row == std::string::npos) throw std::runtime_error("alert at a time not in " + sensor);
    detections[it->second->name].push_back(row);
  }
  return detections;
}

}  // namespace dots::nab
