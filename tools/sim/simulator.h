#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tools/sim/faults.h"

namespace dots::sim {

enum class Format { kSenml, kJson, kPlain };
enum class Anomaly { kNone, kSpike, kShift, kStuck };

struct SimOptions {
  std::string broker = "tcp://127.0.0.1:1883";
  std::string client_id;  // default dots-sim-<pid>
  std::size_t sensors = 10;
  std::uint64_t count = 0;                // total messages; 0 = until duration
  std::chrono::milliseconds duration{0};  // 0 = until count
  double rate = 0;                        // messages per second in all; 0 = as fast as possible
  std::uint64_t seed = 1;
  Format format = Format::kSenml;
  int qos = 1;
  std::string topic_prefix = "sensors";
  std::string name_prefix = "sensor-";
  std::size_t max_inflight = 2000;
  bool progress = true;
  // Fault injection into one sensor's series, from its `anomaly_at`-th reading (0-based):
  // spike = one reading 100 steps off, shift = every later reading 100 steps off,
  // stuck = the value stops changing.
  Anomaly anomaly = Anomaly::kNone;
  std::size_t anomaly_sensor = 0;  // index into the sensors
  std::uint64_t anomaly_at = 0;
  // Replay instead of random walks: every series in these CSV files (series_csv.h) is a sensor
  // named as in its file, its readings sent in time order across sensors.
  std::vector<std::string> replay;
  bool rebase = false;  // shift each series so that its first reading is at the start, now
  double speed = 0;     // the series' own pace times this; 0 = as fast as possible
  FaultOptions faults;  // random walks only
};

// Applies the configured anomaly to reading `k` of sensor `index` whose clean value is `value`
// (and whose previous published value was `previous`).
double injectAnomaly(const SimOptions& options, std::size_t index, std::uint64_t k, double value,
                     double previous, double step, bool& frozen);

struct SimSummary {
  // Readings the broker acknowledged (QoS 1) or accepted (QoS 0), each once: without the extra
  // copies of duplicates and without malformed or oversize messages (see faults).
  std::uint64_t sent = 0;
  std::uint64_t unconfirmed = 0;  // QoS 1 messages without a PUBACK at the end
  std::uint64_t failed = 0;       // publishes the client refused (disconnected)
  std::map<std::string, std::uint64_t> per_sensor;
  double seconds = 0;
  // Replay only: files read, rows skipped as unreadable, times moved 1 ms past the reading
  // before (a series' times must increase).
  std::uint64_t files = 0;
  std::uint64_t bad_rows = 0;
  std::uint64_t adjusted_times = 0;
  FaultCounts faults;
};

// One simulated sensor: a seeded random walk with a unit.
struct SensorModel {
  std::string name;
  std::string unit;
  double value = 0;
  double step = 0;
  std::int64_t last_ms = 0;
};

// Makes the sensor set for a seed: the same seed gives the same names, units and values.
std::vector<SensorModel> makeSensors(const SimOptions& options, std::mt19937_64& rng);

// The payload one reading is sent as, in the chosen format.
std::string formatPayload(Format format, const SensorModel& sensor, double value,
                          std::int64_t time_ms);

// Publishes readings per `options`. When `log` is given, writes one CSV line per reading sent
// ("sensor,time_ms,value"; time empty for plain payloads, which the gateway times on arrival).
// When `stop` is given and becomes true, stops sending and ends as if the count were reached: the
// readings in flight are confirmed and the summary holds what was sent.
// Throws std::runtime_error when the broker cannot be reached.
SimSummary runSimulation(const SimOptions& options, std::ostream* log,
                         const std::atomic<bool>* stop = nullptr);

// Replays options.replay (see SimOptions); `count`, when above 0, caps the readings sent.
// Throws std::runtime_error when a file cannot be read or the broker cannot be reached.
SimSummary runReplay(const SimOptions& options, std::ostream* log,
                     const std::atomic<bool>* stop = nullptr);

std::string summaryJson(const SimOptions& options, const SimSummary& summary);

}  // namespace dots::sim
