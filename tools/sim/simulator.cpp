#include "tools/sim/simulator.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "shared/log/log.h"
#include "shared/mqtt/client.h"
#include "shared/text/text.h"
#include "shared/time/clock.h"

namespace dots::sim {

namespace {
struct Kind {
  const char* unit;
  double base;
  double spread;
  double step;
};
constexpr Kind kKinds[] = {
    {"Cel", 21.0, 4.0, 0.05}, {"%RH", 45.0, 10.0, 0.2}, {"Pa", 101325.0, 300.0, 5.0},
    {"V", 230.0, 3.0, 0.1},   {"A", 2.0, 1.0, 0.02},    {"lx", 300.0, 150.0, 3.0},
};

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}
}  // namespace

std::vector<SensorModel> makeSensors(const SimOptions& options, std::mt19937_64& rng) {
  std::vector<SensorModel> sensors;
  sensors.reserve(options.sensors);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (std::size_t i = 0; i < options.sensors; ++i) {
    const Kind& kind = kKinds[i % std::size(kKinds)];
    char name[32];
    std::snprintf(name, sizeof name, "%04zu", i + 1);
    SensorModel s;
    s.name = options.name_prefix + name;
    s.unit = kind.unit;
    s.value = round2(kind.base + kind.spread * unit(rng));
    s.step = kind.step;
    sensors.push_back(std::move(s));
  }
  return sensors;
}

std::string formatPayload(Format format, const SensorModel& sensor, double value,
                          std::int64_t time_ms) {
  std::string v = formatDouble(value);
  std::string t = formatDouble(static_cast<double>(time_ms) / 1000.0);
  switch (format) {
    case Format::kSenml:
      return R"([{"n":")" + sensor.name + R"(","u":")" + sensor.unit + R"(","t":)" + t +
             R"(,"v":)" + v + "}]";
    case Format::kJson:
      return R"({"v":)" + v + R"(,"t":)" + t + R"(,"u":")" + sensor.unit + R"("})";
    case Format::kPlain: return v;
  }
  return v;
}

double injectAnomaly(const SimOptions& options, std::size_t index, std::uint64_t k, double value,
                     double previous, double step, bool& frozen) {
  if (options.anomaly == Anomaly::kNone || index != options.anomaly_sensor ||
      k < options.anomaly_at) {
    return value;
  }
  switch (options.anomaly) {
    case Anomaly::kSpike: return k == options.anomaly_at ? round2(value + 100 * step) : value;
    case Anomaly::kShift: return round2(value + 100 * step);
    case Anomaly::kStuck: frozen = true; return previous;
    case Anomaly::kNone: break;
  }
  return value;
}

SimSummary runSimulation(const SimOptions& options, std::ostream* log,
                         const std::atomic<bool>* stop) {
  std::mt19937_64 rng(options.seed);
  std::vector<SensorModel> sensors = makeSensors(options, rng);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::string> topics;
  for (const auto& s : sensors) topics.push_back(options.topic_prefix + "/" + s.name);

  mqtt::ClientOptions co;
  co.uri = options.broker;
  co.client_id =
      options.client_id.empty() ? "dots-sim-" + std::to_string(::getpid()) : options.client_id;
  co.max_inflight = static_cast<int>(options.max_inflight);
  co.log_name = "sim";
  mqtt::Client client(co);
  client.start();
  if (!client.waitConnected(std::chrono::seconds(10))) {
    throw std::runtime_error("cannot connect to " + options.broker);
  }

  SimSummary summary;
  auto start = SteadyClock::now();
  auto next_progress = start + std::chrono::seconds(1);
  auto end_at =
      options.duration.count() > 0 ? start + options.duration : SteadyClock::time_point::max();
  std::uint64_t attempted = 0;
  std::vector<std::uint64_t> per_sensor(sensors.size());
  std::vector<double> published(sensors.size());
  for (std::size_t i = 0; i < sensors.size(); ++i) published[i] = sensors[i].value;
  while ((options.count == 0 || attempted < options.count) && SteadyClock::now() < end_at) {
    if (options.count == 0 && options.duration.count() == 0) break;
    if (stop && stop->load(std::memory_order_relaxed)) break;
    if (options.rate > 0) {
      auto due =
          start + std::chrono::duration_cast<SteadyClock::duration>(
                      std::chrono::duration<double>(static_cast<double>(attempted) / options.rate));
      // In slices, so that a stop is seen even at a slow rate.
      auto now = SteadyClock::now();
      if (due > now) {
        std::this_thread::sleep_until(std::min(due, now + std::chrono::milliseconds(100)));
        if (due > SteadyClock::now()) continue;
      }
    }
    if (options.qos > 0 && client.inflight() >= options.max_inflight) {
      client.waitInflightBelow(options.max_inflight, std::chrono::milliseconds(100));
      continue;
    }
    std::size_t i = attempted % sensors.size();
    SensorModel& s = sensors[i];
    double value = round2(s.value + s.step * noise(rng));
    bool frozen = false;
    double sent_value =
        injectAnomaly(options, i, per_sensor[i], value, published[i], s.step, frozen);
    std::int64_t t = std::max(wallMillis(), s.last_ms + 1);
    auto r =
        client.publish(topics[i], formatPayload(options.format, s, sent_value, t), options.qos);
    if (!r && r.error().reason == "busy") {
      // The client's queue is full: let it drain, then send the same reading again.
      client.waitInflightBelow(client.inflight() / 2 + 1, std::chrono::milliseconds(20));
      continue;
    }
    s.value = value;
    s.last_ms = t;
    published[i] = sent_value;
    ++attempted;
    if (!r) {
      if (summary.failed++ == 0) log::warn("sim", "publish failed: ", r.error().describe());
      continue;
    }
    ++per_sensor[i];
    if (log) {
      *log << s.name << ',';
      if (options.format != Format::kPlain) *log << t;
      *log << ',' << formatDouble(sent_value) << '\n';
    }
    if (options.progress && SteadyClock::now() >= next_progress) {
      double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
      log::info("sim", attempted - summary.failed, " readings sent",
                options.count ? log::concat(" of ", options.count) : std::string(), " (",
                static_cast<std::uint64_t>((attempted - summary.failed) / secs), "/s)");
      next_progress += std::chrono::seconds(1);
    }
  }
  if (options.qos > 0) client.waitInflightBelow(1, std::chrono::seconds(30));
  summary.unconfirmed = options.qos > 0 ? client.inflight() : 0;
  client.stop();
  summary.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    summary.per_sensor[sensors[i].name] = per_sensor[i];
    summary.sent += per_sensor[i];
  }
  return summary;
}

std::string summaryJson(const SimOptions& options, const SimSummary& summary) {
  std::ostringstream out;
  out << R"({"sent": )" << summary.sent << R"(, "unconfirmed": )" << summary.unconfirmed
      << R"(, "failed": )" << summary.failed << R"(, "seconds": )" << formatDouble(summary.seconds)
      << R"(, "seed": )" << options.seed << R"(, "format": ")"
      << (options.format == Format::kSenml  ? "senml"
          : options.format == Format::kJson ? "json"
                                            : "plain")
      << R"(", "per_sensor": {)";
  bool first = true;
  for (const auto& [name, n] : summary.per_sensor) {
    out << (first ? "" : ", ") << jsonQuote(name) << ": " << n;
    first = false;
  }
  out << "}}\n";
  return out.str();
}

}  // namespace dots::sim
