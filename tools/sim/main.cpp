// dots-sim: wiring only; the simulation lives in simulator.cpp.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <fstream>
#include <iostream>

#include "dots/version.h"
#include "shared/log/log.h"
#include "tools/sim/simulator.h"

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);
extern "C" void onStopSignal(int) {
  g_stop.store(true);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "dots-sim: simulates sensors publishing readings to an MQTT broker. SIGINT or SIGTERM ends "
      "a run early: what is in flight is confirmed and the summary holds what was sent."};
  app.set_version_flag("--version", std::string("dots-sim ") + dots::kVersion);
  dots::sim::SimOptions o;
  std::string format = "senml";
  std::string summary_path;
  std::string log_path;
  double duration_s = 0;
  bool quiet = false;
  app.add_option("--broker", o.broker, "broker URI")->capture_default_str();
  app.add_option("--client-id", o.client_id, "MQTT client id");
  app.add_option("--sensors", o.sensors, "number of sensors")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--count", o.count, "readings to send in all (0: until --duration)")
      ->capture_default_str();
  app.add_option("--duration", duration_s, "seconds to run (0: until --count)")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--rate", o.rate, "readings per second in all (0: as fast as possible)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--seed", o.seed, "random seed; the same seed repeats the run")
      ->capture_default_str();
  app.add_option("--format", format, "payload format")
      ->check(CLI::IsMember({"senml", "json", "plain"}))
      ->capture_default_str();
  app.add_option("--qos", o.qos, "MQTT QoS")->check(CLI::IsMember({0, 1}))->capture_default_str();
  app.add_option("--topic-prefix", o.topic_prefix, "topics are <prefix>/<sensor>")
      ->capture_default_str();
  app.add_option("--name-prefix", o.name_prefix, "sensor names are <prefix><nnnn>")
      ->capture_default_str();
  app.add_option("--summary-json", summary_path, "write the summary here ('-' for stdout)");
  app.add_option("--log-csv", log_path, "write every reading sent here (sensor,time_ms,value)");
  app.add_flag("--quiet", quiet, "no progress lines");
  std::string anomaly = "none";
  std::size_t anomaly_sensor = 1;
  long long anomaly_at = -1;
  app.add_option("--anomaly", anomaly,
                 "inject into one sensor: spike (one reading 100 steps off), shift (all later "
                 "readings 100 steps off) or stuck (the value stops changing)")
      ->check(CLI::IsMember({"none", "spike", "shift", "stuck"}))
      ->capture_default_str();
  app.add_option("--anomaly-sensor", anomaly_sensor, "which sensor (1-based)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--anomaly-at", anomaly_at,
                 "from that sensor's Nth reading (0-based; default: half its share of --count)");
  app.add_option("--replay", o.replay,
                 "replay CSV series instead (a file or a folder of *.csv; NAB's timestamp,value "
                 "or readings export's gateway,sensor,time_ms,value): each series is a sensor "
                 "named as in its file; may repeat");
  app.add_flag("--rebase", o.rebase,
               "replay: shift each series so that its first reading is now (default: the "
               "original times)");
  app.add_option("--speed", o.speed,
                 "replay: the series' own pace times this factor (0: as fast as possible)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e12));
  auto& f = o.faults;
  auto fraction = CLI::Range(0.0, 1.0);
  app.add_option("--duplicates", f.duplicates, "fault: fraction of readings published twice")
      ->check(fraction);
  app.add_option("--reorder", f.reorder,
                 "fault: fraction of readings held back and published after the sensor's next")
      ->check(fraction);
  app.add_option("--malformed", f.malformed,
                 "fault: fraction of messages replaced by a payload no parser accepts")
      ->check(fraction);
  app.add_option("--oversize", f.oversize,
                 "fault: fraction of messages replaced by --oversize-bytes of padding")
      ->check(fraction);
  app.add_option("--oversize-bytes", f.oversize_bytes, "fault: the size of an oversize message")
      ->capture_default_str()
      ->check(CLI::Range(1, 256 * 1024 * 1024));
  app.add_option("--skew-ms", f.skew_ms, "fault: every reading's time this far off (ms, +/-)");
  app.add_option("--jump-ms", f.jump_ms,
                 "fault: from each sensor's --jump-at-th reading on, its clock this much further "
                 "off (ms, +/-)");
  app.add_option("--jump-at", f.jump_at, "fault: the reading (0-based, per sensor) of the jump");
  app.add_option("--burst-every", f.burst_every,
                 "fault: every N readings in all, --burst-size go out at once (no pacing)");
  app.add_option("--burst-size", f.burst_size, "fault: readings in a burst");
  app.add_option("--dropout-every", f.dropout_every,
                 "fault: each sensor is silent for --dropout-len of every N of its readings");
  app.add_option("--dropout-len", f.dropout_len, "fault: readings a dropout lasts");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (o.replay.empty() && o.count == 0 && duration_s == 0) {
    std::cerr << "dots-sim: give --count, --duration or both (or --replay)\n";
    return 2;
  }
  if (o.faults.burst_size > o.faults.burst_every || o.faults.dropout_len > o.faults.dropout_every) {
    std::cerr << "dots-sim: --burst-size must not exceed --burst-every, nor --dropout-len "
                 "--dropout-every\n";
    return 2;
  }
  if (!o.replay.empty() && (format == "plain" || anomaly != "none" || o.faults.any())) {
    std::cerr << "dots-sim: --replay sends the series' own times and values: not with --format "
                 "plain, --anomaly or faults\n";
    return 2;
  }
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(duration_s * 1000));
  o.format = format == "senml"  ? dots::sim::Format::kSenml
             : format == "json" ? dots::sim::Format::kJson
                                : dots::sim::Format::kPlain;
  o.progress = !quiet;
  o.anomaly = anomaly == "spike"   ? dots::sim::Anomaly::kSpike
              : anomaly == "shift" ? dots::sim::Anomaly::kShift
              : anomaly == "stuck" ? dots::sim::Anomaly::kStuck
                                   : dots::sim::Anomaly::kNone;
  if (anomaly_sensor > o.sensors) {
    std::cerr << "dots-sim: --anomaly-sensor is above --sensors\n";
    return 2;
  }
  o.anomaly_sensor = anomaly_sensor - 1;
  o.anomaly_at = anomaly_at >= 0 ? static_cast<std::uint64_t>(anomaly_at)
                                 : (o.count ? o.count / o.sensors / 2 : 100);

  std::ofstream log_file;
  if (!log_path.empty()) {
    log_file.open(log_path);
    if (!log_file) {
      std::cerr << "dots-sim: cannot write " << log_path << "\n";
      return 2;
    }
  }
  struct sigaction on_stop {};
  on_stop.sa_handler = onStopSignal;
  ::sigemptyset(&on_stop.sa_mask);
  ::sigaction(SIGINT, &on_stop, nullptr);
  ::sigaction(SIGTERM, &on_stop, nullptr);
  dots::sim::SimSummary summary;
  try {
    std::ostream* log = log_path.empty() ? nullptr : &log_file;
    summary = o.replay.empty() ? dots::sim::runSimulation(o, log, &g_stop)
                               : dots::sim::runReplay(o, log, &g_stop);
  } catch (const std::exception& e) {
    std::cerr << "dots-sim: " << e.what() << "\n";
    return 1;
  }
  log_file.close();
  std::string json = dots::sim::summaryJson(o, summary);
  if (summary_path == "-") {
    std::cout << json;
  } else if (!summary_path.empty()) {
    std::ofstream(summary_path) << json;
  }
  dots::log::info("sim", "sent ", summary.sent, " readings from ",
                  o.replay.empty() ? o.sensors : summary.per_sensor.size(), " sensors in ",
                  summary.seconds, " s", summary.unconfirmed ? " (some unconfirmed)" : "");
  return summary.unconfirmed == 0 && summary.failed == 0 ? 0 : 1;
}
