#include "tools/sim/simulator.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "shared/log/log.h"
#include "shared/mqtt/client.h"
#include "shared/text/text.h"
#include "shared/time/clock.h"
#include "tools/sim/series_csv.h"

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

namespace {
// One MQTT connection that publishes readings at the options' QoS, waiting while the client's
// window is full, and logs what it sent. Not thread-safe.
class Publisher {
 public:
  explicit Publisher(const SimOptions& options, std::ostream* log)
      : options_(options), log_(log), client_(clientOptions(options)) {
    client_.start();
    if (!client_.waitConnected(std::chrono::seconds(10))) {
      throw std::runtime_error("cannot connect to " + options.broker);
    }
  }

  // False after waiting a while for the window of unconfirmed messages to have room.
  bool ready() {
    if (options_.qos == 0 || client_.inflight() < options_.max_inflight) return true;
    client_.waitInflightBelow(options_.max_inflight, std::chrono::milliseconds(100));
    return false;
  }

  enum class Sent { kOk, kFailed, kRetry };
  // kRetry: the client's queue was full; send the same reading again.
  // A message that is no reading (a malformed or oversize one) passes an empty `sensor`: it is
  // not logged.
  Sent send(const std::string& topic, const std::string& payload, std::string_view sensor,
            std::optional<std::int64_t> time_ms, double value, SimSummary& summary) {
    auto r = client_.publish(topic, payload, options_.qos);
    if (!r && r.error().reason == "busy") {
      client_.waitInflightBelow(client_.inflight() / 2 + 1, std::chrono::milliseconds(20));
      return Sent::kRetry;
    }
    if (!r) {
      if (summary.failed++ == 0) log::warn("sim", "publish failed: ", r.error().describe());
      return Sent::kFailed;
    }
    if (log_ && !sensor.empty()) {
      *log_ << sensor << ',';
      if (time_ms) *log_ << *time_ms;
      *log_ << ',' << formatDouble(value) << '\n';
    }
    return Sent::kOk;
  }

  // send() until it is not kRetry, for a message that must follow the one just sent (a
  // duplicate, a held-back reading); gives up after about a minute of a full queue.
  Sent sendFollowing(const std::string& topic, const std::string& payload, std::string_view sensor,
                     std::optional<std::int64_t> time_ms, double value, SimSummary& summary) {
    for (int attempt = 0; attempt < 600; ++attempt) {
      if (!ready()) continue;
      Sent sent = send(topic, payload, sensor, time_ms, value, summary);
      if (sent != Sent::kRetry) return sent;
    }
    return Sent::kFailed;
  }

  // Waits for the readings in flight, then disconnects; records what stayed unconfirmed.
  void finish(SimSummary& summary) {
    if (options_.qos > 0) client_.waitInflightBelow(1, std::chrono::seconds(30));
    summary.unconfirmed = options_.qos > 0 ? client_.inflight() : 0;
    client_.stop();
  }

 private:
  static mqtt::ClientOptions clientOptions(const SimOptions& options) {
    mqtt::ClientOptions co;
    co.uri = options.broker;
    co.client_id =
        options.client_id.empty() ? "dots-sim-" + std::to_string(::getpid()) : options.client_id;
    co.max_inflight = static_cast<int>(options.max_inflight);
    co.log_name = "sim";
    return co;
  }

  const SimOptions& options_;
  std::ostream* log_;
  mqtt::Client client_;
};

// Logs progress once a second.
class Progress {
 public:
  Progress(const SimOptions& options, SteadyClock::time_point start)
      : options_(options), start_(start), next_(start + std::chrono::seconds(1)) {}
  void tick(std::uint64_t sent) {
    if (!options_.progress || SteadyClock::now() < next_) return;
    double secs = std::chrono::duration<double>(SteadyClock::now() - start_).count();
    log::info("sim", sent, " readings sent",
              options_.count ? log::concat(" of ", options_.count) : std::string(), " (",
              static_cast<std::uint64_t>(sent / secs), "/s)");
    next_ += std::chrono::seconds(1);
  }

 private:
  const SimOptions& options_;
  SteadyClock::time_point start_;
  SteadyClock::time_point next_;
};

// Sleeps towards `due` in slices, so that a stop is seen even at a slow pace; true when due.
bool waitUntil(SteadyClock::time_point due) {
  auto now = SteadyClock::now();
  if (due <= now) return true;
  std::this_thread::sleep_until(std::min(due, now + std::chrono::milliseconds(100)));
  return due <= SteadyClock::now();
}
}  // namespace

SimSummary runSimulation(const SimOptions& options, std::ostream* log,
                         const std::atomic<bool>* stop) {
  std::mt19937_64 rng(options.seed);
  std::vector<SensorModel> sensors = makeSensors(options, rng);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::string> topics;
  for (const auto& s : sensors) topics.push_back(options.topic_prefix + "/" + s.name);

  Publisher publisher(options, log);

  SimSummary summary;
  auto start = SteadyClock::now();
  Progress progress(options, start);
  auto end_at =
      options.duration.count() > 0 ? start + options.duration : SteadyClock::time_point::max();
  std::uint64_t attempted = 0;
  std::vector<std::uint64_t> per_sensor(sensors.size());
  std::vector<std::uint64_t> generated(sensors.size());
  std::vector<double> published(sensors.size());
  for (std::size_t i = 0; i < sensors.size(); ++i) published[i] = sensors[i].value;
  const FaultPlan faults(options.faults, options.seed);
  FaultCounts& counts = summary.faults;
  // A reading held back per sensor (reorder), published after that sensor's next one.
  struct Held {
    std::string payload;
    std::int64_t time_ms = 0;
    double value = 0;
  };
  std::vector<std::optional<Held>> held(sensors.size());
  auto timeOf = [&](std::int64_t t) {
    return options.format == Format::kPlain ? std::nullopt : std::optional<std::int64_t>(t);
  };
  auto release = [&](std::size_t i) {
    if (!held[i]) return;
    auto sent = publisher.sendFollowing(topics[i], held[i]->payload, sensors[i].name,
                                        timeOf(held[i]->time_ms), held[i]->value, summary);
    if (sent == Publisher::Sent::kOk) ++per_sensor[i];
    held[i].reset();
  };
  while ((options.count == 0 || attempted < options.count) && SteadyClock::now() < end_at) {
    if (options.count == 0 && options.duration.count() == 0) break;
    if (stop && stop->load(std::memory_order_relaxed)) break;
    bool burst = faults.inBurst(attempted);
    if (options.rate > 0 && !burst) {
      auto due =
          start + std::chrono::duration_cast<SteadyClock::duration>(
                      std::chrono::duration<double>(static_cast<double>(attempted) / options.rate));
      if (!waitUntil(due)) continue;
    }
    if (!publisher.ready()) continue;
    std::size_t i = attempted % sensors.size();
    SensorModel& s = sensors[i];
    std::uint64_t k = generated[i];
    double value = round2(s.value + s.step * noise(rng));
    bool frozen = false;
    double sent_value = injectAnomaly(options, i, k, value, published[i], s.step, frozen);
    std::int64_t t = std::max(wallMillis(), s.last_ms + 1);
    auto advance = [&] {
      s.value = value;
      s.last_ms = t;
      published[i] = sent_value;
      ++generated[i];
      ++attempted;
    };
    if (faults.dropped(k)) {
      ++counts.dropped;
      advance();
      continue;
    }
    std::int64_t t_sent = t + faults.clockOffset(k);
    bool malformed = faults.malformed(i, k);
    bool oversize = faults.oversize(i, k);
    bool reading = !malformed && !oversize;
    std::string payload = malformed  ? FaultPlan::malformedPayload()
                          : oversize ? faults.oversizePayload()
                                     : formatPayload(options.format, s, sent_value, t_sent);
    if (reading && faults.reorder(i, k) && !held[i]) {
      held[i] = Held{payload, t_sent, sent_value};
      ++counts.reordered;
      if (options.faults.skew_ms != 0) ++counts.skewed;
      if (faults.jumped(k)) ++counts.jumped;
      advance();
      continue;
    }
    auto sent = publisher.send(topics[i], payload, reading ? std::string_view(s.name) : "",
                               timeOf(t_sent), sent_value, summary);
    if (sent == Publisher::Sent::kRetry) continue;
    advance();
    if (sent == Publisher::Sent::kOk) {
      if (burst) ++counts.burst;
      if (malformed) ++counts.malformed;
      if (oversize) ++counts.oversize;
      if (reading) {
        ++per_sensor[i];
        if (options.faults.skew_ms != 0) ++counts.skewed;
        if (faults.jumped(k)) ++counts.jumped;
        if (faults.duplicate(i, k) &&
            publisher.sendFollowing(topics[i], payload, s.name, timeOf(t_sent), sent_value,
                                    summary) == Publisher::Sent::kOk) {
          ++counts.duplicated;
        }
      }
    }
    release(i);
    progress.tick(attempted - summary.failed);
  }
  for (std::size_t i = 0; i < sensors.size(); ++i) release(i);
  publisher.finish(summary);
  summary.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    summary.per_sensor[sensors[i].name] = per_sensor[i];
    summary.sent += per_sensor[i];
  }
  return summary;
}

SimSummary runReplay(const SimOptions& options, std::ostream* log, const std::atomic<bool>* stop) {
  SimSummary summary;
  std::vector<Series> series;
  for (const std::string& place : options.replay) {
    auto files = seriesFilesAt(place);
    if (!files) throw std::runtime_error(files.error().describe());
    for (const auto& path : *files) {
      auto file = readSeriesFile(path);
      if (!file) throw std::runtime_error(file.error().describe());
      ++summary.files;
      if (file->bad_rows > 0) {
        summary.bad_rows += file->bad_rows;
        log::warn("sim", path.string(), ": ", file->bad_rows, " rows skipped, the first at ",
                  file->first_bad);
      }
      for (auto& one : file->series) series.push_back(std::move(one));
    }
  }
  // A series' times must increase: a time not after the one before moves 1 ms past it.
  for (Series& one : series) {
    for (std::size_t k = 1; k < one.points.size(); ++k) {
      if (one.points[k].time_ms > one.points[k - 1].time_ms) continue;
      one.points[k].time_ms = one.points[k - 1].time_ms + 1;
      ++summary.adjusted_times;
    }
  }
  std::int64_t now_ms = wallMillis();
  std::vector<std::int64_t> shift(series.size(), 0);
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].points.empty()) continue;
    if (options.rebase) shift[i] = now_ms - series[i].points.front().time_ms;
    first_ms = std::min(first_ms, series[i].points.front().time_ms + shift[i]);
  }
  // The next reading of every series, earliest first.
  using Next = std::pair<std::int64_t, std::size_t>;  // time as sent, series
  std::priority_queue<Next, std::vector<Next>, std::greater<>> due;
  std::vector<std::size_t> next(series.size(), 0);
  std::vector<SensorModel> sensors(series.size());
  std::vector<std::string> topics(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    sensors[i].name = series[i].sensor;
    topics[i] = options.topic_prefix + "/" + series[i].sensor;
    if (!series[i].points.empty()) due.emplace(series[i].points[0].time_ms + shift[i], i);
  }

  Publisher publisher(options, log);
  auto start = SteadyClock::now();
  Progress progress(options, start);
  std::uint64_t attempted = 0;
  while (!due.empty() && (options.count == 0 || attempted < options.count)) {
    if (stop && stop->load(std::memory_order_relaxed)) break;
    auto [t, i] = due.top();
    if (options.speed > 0) {
      auto at = start + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double, std::milli>(
                                static_cast<double>(t - first_ms) / options.speed));
      if (!waitUntil(at)) continue;
    }
    if (!publisher.ready()) continue;
    double value = series[i].points[next[i]].value;
    auto sent = publisher.send(topics[i], formatPayload(options.format, sensors[i], value, t),
                               sensors[i].name, t, value, summary);
    if (sent == Publisher::Sent::kRetry) continue;
    due.pop();
    ++attempted;
    if (sent == Publisher::Sent::kOk) ++summary.per_sensor[sensors[i].name];
    if (++next[i] < series[i].points.size())
      due.emplace(series[i].points[next[i]].time_ms + shift[i], i);
    progress.tick(attempted - summary.failed);
  }
  publisher.finish(summary);
  summary.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (const SensorModel& s : sensors) summary.per_sensor.try_emplace(s.name, 0);
  for (const auto& [name, n] : summary.per_sensor) summary.sent += n;
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
      << R"(")";
  if (!options.replay.empty()) {
    out << R"(, "files": )" << summary.files << R"(, "bad_rows": )" << summary.bad_rows
        << R"(, "adjusted_times": )" << summary.adjusted_times;
  }
  if (options.faults.any()) {
    const FaultCounts& f = summary.faults;
    out << R"(, "faults": {"duplicated": )" << f.duplicated << R"(, "reordered": )" << f.reordered
        << R"(, "malformed": )" << f.malformed << R"(, "oversize": )" << f.oversize
        << R"(, "skewed": )" << f.skewed << R"(, "jumped": )" << f.jumped << R"(, "burst": )"
        << f.burst << R"(, "dropped": )" << f.dropped << "}";
  }
  out << R"(, "per_sensor": {)";
  bool first = true;
  for (const auto& [name, n] : summary.per_sensor) {
    out << (first ? "" : ", ") << jsonQuote(name) << ": " << n;
    first = false;
  }
  out << "}}\n";
  return out.str();
}

}  // namespace dots::sim
