// Each handler alone, with a recording sink in place of the store.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <tuple>

#include "cloud/handlers/anomaly/anomaly_handler.h"
#include "cloud/handlers/handler_table.h"
#include "cloud/pipeline/channel.h"
#include "cloud/pipeline/handler_params.h"
#include "tools/sim/series_csv.h"

using namespace dots;
using namespace dots::cloud;

namespace {

class RecordingSink final : public ChannelSink {
 public:
  std::vector<Reading> stored;
  std::vector<AggregateDelta> aggregates;
  std::vector<Alert> alerts;
  std::vector<std::pair<std::string, std::string>> deliveries;  // target, address

  Result<void> storeReadings(std::int64_t, std::string_view, std::span<const Reading> r,
                             bool) override {
    stored.insert(stored.end(), r.begin(), r.end());
    return {};
  }
  Result<void> mergeAggregates(std::int64_t, std::string_view,
                               std::span<const AggregateDelta> d) override {
    aggregates.insert(aggregates.end(), d.begin(), d.end());
    return {};
  }
  Result<std::int64_t> recordAlert(std::int64_t, std::string_view, std::string_view,
                                   const Alert& a) override {
    alerts.push_back(a);
    return static_cast<std::int64_t>(alerts.size());
  }
  Result<void> enqueueDelivery(std::int64_t, std::string_view target, std::string_view address,
                               std::string_view) override {
    deliveries.emplace_back(target, address);
    return {};
  }
};

Reading num(const std::string& name, std::int64_t t, double v) {
  return Reading{name, "Cel", t, ValueKind::kNumber, v, "", {}};
}

std::unique_ptr<Channel> channel(const std::vector<std::string>& specs) {
  auto c = Channel::create(1, "acme", "test", "default", specs);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().detail));
  return std::move(*c);
}

std::string specError(const std::string& spec) {
  auto h = makeHandler(spec);
  return h ? "ok" : h.error().detail;
}

}  // namespace

TEST_CASE("handler specs are validated with a reason naming type and key") {
  CHECK(specError("store") == "ok");
  CHECK(specError("threshold:above=80,hysteresis=2,for_ms=500") == "ok");
  CHECK(specError("teleport") ==
        "unknown handler type \"teleport\" (filter, store, aggregate, threshold, anomaly, notify)");
  CHECK(specError("threshold:abov=80") == "threshold: abov is not a parameter of threshold");
  CHECK(specError("threshold:hysteresis=1") == "threshold: give above, below or both");
  CHECK(specError("threshold:above=hot") == "threshold: above must be a number (got \"hot\")");
  CHECK(specError("aggregate:window_s=0") ==
        "aggregate: window_s must be an integer from 1 to 86400 (got \"0\")");
  CHECK(specError("notify:webhook=ftp://x") ==
        "notify: webhook \"ftp://x\" refused: a webhook is an https:// (or allow-listed http://) "
        "URL");
  CHECK(specError("filter:min=5,max=1") == "filter: min is above max");
  CHECK(specError("anomaly:alpha=1") == "anomaly: alpha must be in (0, 1)");
  CHECK(specError("filter:min") == "filter: expected key=value, got \"min\"");
  auto bad = Channel::create(1, "a", "c", "default", {"store", "notify:mqtt=maybe"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().detail ==
        "channel a/c, handler 2: notify: mqtt must be true or false (got \"maybe\")");
}

TEST_CASE("filter: patterns, range, deadband and rate per sensor") {
  RecordingSink sink;
  auto c =
      channel({"filter:sensors=room/*,drop=room/bad,min=0,max=100,deadband=1,rate=1", "store"});
  REQUIRE(c->run({num("room/a", 0, 10), num("room/a", 500, 20),  // too soon for rate 1/s
                  num("room/a", 1000, 10.5),                     // within the deadband
                  num("room/a", 2000, 12),                       // kept
                  num("room/b", 0, 150),                         // out of range
                  num("room/bad", 0, 5), num("hall/x", 0, 5)},   // dropped, not matching
                 "gw", false, sink));
  REQUIRE(sink.stored.size() == 2);
  CHECK(sink.stored[0].value == 10);
  CHECK(sink.stored[1].value == 12);
  const auto& counters = c->handlers()[0]->counters();
  CHECK(counters.in.load() == 7);
  CHECK(counters.out.load() == 2);
  CHECK(counters.suppressed.load() == 5);
}

TEST_CASE("aggregate: one delta per sensor and window, with sums for mean and stddev") {
  RecordingSink sink;
  auto c = channel({"aggregate:window_s=10"});
  REQUIRE(c->run({num("a", 1000, 1), num("a", 9999, 3), num("a", 10000, 5), num("b", 500, 7),
                  num("a", 2000, 2)},  // out of order: still window 0
                 "gw", false, sink));
  REQUIRE(sink.aggregates.size() == 3);
  std::ranges::sort(sink.aggregates, {},
                    [](const AggregateDelta& d) { return std::tie(d.sensor, d.window_start_ms); });
  const AggregateDelta& a0 = sink.aggregates[0];
  CHECK(a0.sensor == "a");
  CHECK(a0.window_start_ms == 0);
  CHECK(a0.count == 3);
  CHECK(a0.sum == 6);
  CHECK(a0.sum_squares == 14);
  CHECK(a0.min == 1);
  CHECK(a0.max == 3);
  CHECK(sink.aggregates[1].window_start_ms == 10000);
  CHECK(sink.aggregates[2].sensor == "b");
}

TEST_CASE("threshold: minimum duration, hysteresis, one alert per episode") {
  RecordingSink sink;
  auto c = channel({"threshold:sensors=probe,above=80,hysteresis=5,for_ms=1000"});
  REQUIRE(c->run({num("probe", 0, 85), num("probe", 500, 90),      // pending, not yet 1 s
                  num("probe", 700, 70),                           // back: no alert
                  num("probe", 1000, 85), num("probe", 2000, 86),  // 1 s above: raised
                  num("probe", 2500, 95),                          // still raised: nothing new
                  num("probe", 3000, 78),                          // inside, not by 5: held
                  num("probe", 3500, 75),                          // cleared
                  num("other", 0, 99)},
                 "gw", false, sink));
  REQUIRE(sink.alerts.size() == 2);
  CHECK(sink.alerts[0].state == "raised");
  CHECK(sink.alerts[0].time_ms == 2000);
  CHECK(sink.alerts[0].message == "probe = 86 is above 80");
  CHECK(sink.alerts[1].state == "cleared");
  CHECK(sink.alerts[1].time_ms == 3500);
}

TEST_CASE("threshold: below, with immediate raising") {
  RecordingSink sink;
  auto c = channel({"threshold:below=10"});
  REQUIRE(c->run({num("t", 0, 12), num("t", 1, 9), num("t", 2, 11)}, "gw", false, sink));
  REQUIRE(sink.alerts.size() == 2);
  CHECK(sink.alerts[0].state == "raised");
  CHECK(sink.alerts[1].state == "cleared");
}

TEST_CASE("notify: sends what detectors raised, rate-limited per sensor, not historical") {
  RecordingSink sink;
  auto c = channel({"threshold:above=80", "notify:webhook=http://127.0.0.1:1/hook,rate_per_min=3"});
  std::vector<Reading> flapping;
  for (int i = 0; i < 20; ++i) {
    flapping.push_back(num("flappy", i * 2, 90));
    flapping.push_back(num("flappy", i * 2 + 1, 10));
  }
  REQUIRE(c->run(flapping, "gw", false, sink));
  CHECK(sink.alerts.size() == 40);
  // 3 alerts within the minute, each to MQTT and the webhook.
  REQUIRE(sink.deliveries.size() == 6);
  CHECK(sink.deliveries[0] ==
        std::pair<std::string, std::string>{"mqtt", "dots/v1/alerts/acme/test"});
  CHECK(sink.deliveries[1] ==
        std::pair<std::string, std::string>{"webhook", "http://127.0.0.1:1/hook"});
  CHECK(c->handlers()[1]->counters().suppressed.load() == 37);

  RecordingSink old;
  auto c2 = channel({"threshold:above=80", "notify"});
  REQUIRE(c2->run({num("x", 0, 90)}, "gw", /*historical=*/true, old));
  CHECK(old.alerts.size() == 1);  // recorded
  CHECK(old.deliveries.empty());  // but nobody paged
  RecordingSink paged;
  auto c3 = channel({"threshold:above=80", "notify:historical=true"});
  REQUIRE(c3->run({num("x", 0, 90)}, "gw", true, paged));
  CHECK(paged.deliveries.size() == 1);
}

namespace {
// A seeded random walk like dots-sim's: steps N(0, step), rounded to 0.01.
std::vector<double> walk(std::size_t n, double step, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> out;
  double v = 20;
  for (std::size_t i = 0; i < n; ++i) {
    v = std::round((v + step * noise(rng)) * 100) / 100;
    out.push_back(v);
  }
  return out;
}

}  // namespace

// Raised alerts only; and the row of the first one (npos: none).
static std::size_t raisedFor(const std::vector<double>& series, const std::string& spec,
                             std::size_t* first = nullptr) {
  RecordingSink sink;
  auto c = channel({spec});
  for (std::size_t i = 0; i < series.size(); i += 100) {
    std::vector<Reading> readings;
    for (std::size_t j = i; j < std::min(series.size(), i + 100); ++j)
      readings.push_back(num("s", static_cast<std::int64_t>(j) * 1000, series[j]));
    REQUIRE(c->run(readings, "gw", false, sink));
    c->commit();
  }
  std::size_t raised = 0;
  if (first) *first = std::string::npos;
  for (const Alert& a : sink.alerts) {
    if (a.state != "raised") continue;
    if (raised++ == 0 && first) *first = static_cast<std::size_t>(a.time_ms / 1000);
  }
  return raised;
}

TEST_CASE("anomaly: what it keeps per sensor is constant and small") {
  // Two histograms of 32 float bins with their ranges, the step statistics, the likelihood's
  // averages, a mean and variance for each hour of the day, and the episode: the whole
  // per-sensor state, whatever the series.
  CHECK(sizeof(AnomalyHandler::SensorState) == 672);
  CHECK(sizeof(AnomalyHandler::SensorState) <= 1024);
}

TEST_CASE("anomaly: clean random walks raise at most one alert, for either method") {
  for (const std::string spec : {"anomaly", "anomaly:method=ewma"}) {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
      double step = seed % 3 == 0 ? 0.05 : seed % 3 == 1 ? 0.2 : 5.0;
      CAPTURE(spec);
      CAPTURE(seed);
      CHECK(raisedFor(walk(5000, step, seed), spec) <= 1);
    }
  }
}

TEST_CASE("anomaly: spike, level shift, variance change and stuck value are each caught soon") {
  const std::string spec = "anomaly:stuck=20";
  struct Case {
    const char* name;
    std::vector<double> series;
    std::size_t within;  // readings after the change
  };
  std::vector<Case> cases;
  auto spike = walk(3000, 0.05, 3);
  spike[2000] += 5;  // 100 steps
  cases.push_back({"spike", spike, 1});
  auto shift = walk(3000, 0.05, 4);
  for (std::size_t i = 2000; i < shift.size(); ++i) shift[i] += 5;
  cases.push_back({"shift", shift, 1});
  auto wild = walk(3000, 0.05, 5);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  for (std::size_t i = 2000; i < wild.size(); ++i) wild[i] = wild[i - 1] + 1.0 * noise(rng);
  cases.push_back({"variance", wild, 20});
  auto stuck = walk(3000, 0.05, 6);
  for (std::size_t i = 2000; i < stuck.size(); ++i) stuck[i] = stuck[1999];
  cases.push_back({"stuck", stuck, 21});
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::size_t first = 0;
    CHECK(raisedFor(c.series, spec, &first) >= 1);
    CHECK(first >= 2000);
    CHECK(first <= 2000 + c.within);
  }
}

TEST_CASE("anomaly: an episode raises once and clears once, like threshold") {
  auto series = walk(3000, 0.05, 7);
  for (std::size_t i = 2000; i < 2010; ++i) series[i] += 5 + 0.1 * static_cast<double>(i % 3);
  RecordingSink sink;
  auto c = channel({"anomaly:clear=50"});
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < series.size(); ++i)
    readings.push_back(num("s", static_cast<std::int64_t>(i) * 1000, series[i]));
  REQUIRE(c->run(readings, "gw", false, sink));
  std::vector<std::string> states;
  for (const Alert& a : sink.alerts) states.push_back(a.state);
  CHECK(states == std::vector<std::string>{"raised", "cleared"});
  REQUIRE(sink.alerts.size() == 2);
  CHECK(sink.alerts[0].time_ms == 2000 * 1000);
  CHECK(sink.alerts[1].time_ms > 2010 * 1000);
}

TEST_CASE("anomaly: a day that breaks the daily rhythm is caught, the rhythm itself is not") {
  // Every 5 minutes for 30 days: a daily wave between 10 and 30 with noise; on day 20 the
  // value stays at the daily mean for six hours from 06:00, where the wave would peak.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, 0.3);
  const std::size_t per_day = 288;
  const std::size_t flat_from = 20 * per_day + 72;
  RecordingSink sink;
  auto c = channel({"anomaly"});
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < 30 * per_day; ++i) {
    double phase = 2 * M_PI * static_cast<double>(i % per_day) / per_day;
    double v = 20 + 10 * std::sin(phase) + noise(rng);
    if (i >= flat_from && i < flat_from + 72) v = 20 + noise(rng);
    readings.push_back(num("wave", static_cast<std::int64_t>(i) * 300000, v));
  }
  REQUIRE(c->run(readings, "gw", false, sink));
  std::vector<std::int64_t> raised;
  for (const Alert& a : sink.alerts)
    if (a.state == "raised") raised.push_back(a.time_ms / 300000);
  REQUIRE(raised.size() == 1);
  CHECK(raised[0] >= static_cast<std::int64_t>(flat_from));
  CHECK(raised[0] <= static_cast<std::int64_t>(flat_from + 12));  // within the hour
}

TEST_CASE("anomaly: a much worse anomaly within the refractory period raises again") {
  auto series = walk(3000, 0.05, 10);
  series[2000] += 3;   // a jump: raises
  series[2050] += 60;  // far worse, 50 readings later: raises again
  series[2100] += 3;   // no worse than the first: stays quiet
  std::size_t first = 0;
  CHECK(raisedFor(series, "anomaly", &first) == 2);
  CHECK(first == 2000);
  CHECK(raisedFor(series, "anomaly:escalate=0") == 1);
}

TEST_CASE("anomaly: a value that is not finite is passed over, not learned") {
  auto series = walk(3000, 0.05, 8);
  series[1000] = std::nan("");
  series[1001] = INFINITY;
  series[2000] += 5;
  std::size_t first = 0;
  CHECK(raisedFor(series, "anomaly", &first) == 1);
  CHECK(first == 2000);
}

TEST_CASE("anomaly: NAB's series without anomalies raise at most one alert each") {
  const std::string dir = std::string(DOTS_TESTDATA_DIR) + "/nab/data/artificialNoAnomaly";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto file = sim::readSeriesFile(entry.path());
    REQUIRE(file);
    std::vector<double> values;
    for (const auto& p : file->series.at(0).points) values.push_back(p.value);
    CAPTURE(entry.path().filename().string());
    CHECK(raisedFor(values, "anomaly") <= 1);
  }
}

TEST_CASE("filter: the readings it keeps keep their names, units and texts") {
  RecordingSink sink;
  // Long names: a string moved onto itself may come out empty (heap-held or not).
  const std::string name(40, 'n');
  auto ch = channel({"filter:deadband=0.5", "store"});
  std::vector<Reading> in{num(name, 1, 1.0), num(name, 2, 1.1), num(name + "x", 3, 2.0),
                          num("s", 4, 3.0)};
  REQUIRE(ch->run(in, "gw", false, sink));
  REQUIRE(sink.stored.size() == 3);
  CHECK(sink.stored[0].name == name);
  CHECK(sink.stored[0].unit == "Cel");
  CHECK(sink.stored[1].name == name + "x");
  CHECK(sink.stored[2].name == "s");
}

TEST_CASE("handler state follows the transaction: abort undoes it, commit keeps it") {
  RecordingSink sink;
  auto ch = channel({"filter:deadband=0.5", "threshold:above=50", "store"});
  REQUIRE(ch->run({num("t", 1, 60)}, "gw", false, sink));
  ch->abort();  // the group rolled back: the raise and the kept value never happened
  REQUIRE(ch->run({num("t", 1, 60)}, "gw", false, sink));
  ch->commit();
  CHECK(sink.alerts.size() == 2);  // raised again after the abort
  CHECK(sink.stored.size() == 2);  // the deadband did not drop the resent reading
  REQUIRE(ch->run({num("t", 2, 60.1)}, "gw", false, sink));
  ch->commit();
  CHECK(sink.alerts.size() == 2);  // committed: still raised, no second alert
  CHECK(sink.stored.size() == 2);  // committed: 60.1 is inside the deadband of 60
}
