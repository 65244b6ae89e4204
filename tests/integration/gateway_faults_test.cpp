// The field gateway under faults, with real brokers: uplink outages, kill -9 of the gateway,
// a full spool under each policy, and paced backfill.
#include <signal.h>

#include <map>
#include <set>

#include "shared/time/clock.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

TEST_CASE("gateway: the uplink broker stopped mid-stream and restarted loses and doubles nothing") {
  System sys(/*separate_local=*/true);
  auto config = sys.provision("gw1", "ack_timeout_ms = 1000\nreconnect_max_ms = 500\n");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");

  Process sim(sys.simArgs("run", 12000, 40, 2000), sys.path("sim.log"));
  REQUIRE(waitFor([&] { return sys.count("gw1").count >= 1500; }, 60s));
  sys.broker().kill9();
  // While the uplink is down the gateway keeps taking readings into its spool.
  bool spooling = waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) >= 3000; }, 60s);
  INFO(gateway->log());
  INFO("spool readings: ", spoolReadings(sys.spoolPath("gw1")));
  REQUIRE(spooling);
  REQUIRE(sim.running());
  sys.broker().start();

  REQUIRE(sim.wait(120s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent == 12000);
  sys.requireExactlyOnce("gw1", sent, "run", gateway->log() + ingest->log());
  // What was sealed while the uplink was down arrived flagged historical.
  long historical = queryLong(sys.data() + "/store.db",
                              "SELECT coalesce(sum(readings),0) FROM batches WHERE historical=1");
  CHECK(historical >= 2000);  // most of the 3000+ spooled while it was down
  CHECK(gateway->log().find("uplink: connection to") != std::string::npos);
}

TEST_CASE("gateway: kill -9 repeatedly mid-stream loses only the documented window") {
  System sys(/*separate_local=*/true);
  const double rate = 2000;
  auto config = sys.provision("gw1", "ack_timeout_ms = 1000\n", "linger_ms = 50\n");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway-0.log");

  // A stream for as long as the kills take (a slow machine or qemu may take long): its count is
  // only a bound (a minute per kill), and it is stopped with SIGTERM after the last one.
  Process sim(sys.simArgs("run", static_cast<long>(rate * 60 * 4), 40, rate), sys.path("sim.log"));
  std::vector<std::int64_t> kills;
  auto storedGrows = [&] {
    long before = sys.count("gw1").count;
    REQUIRE(waitFor([&] { return sys.count("gw1").count >= before + 1000; }, 60s));
  };
  for (int i = 0; i < 3; ++i) {
    storedGrows();
    REQUIRE(sim.running());
    gateway->signal(SIGKILL);
    kills.push_back(wallMillis());
    CHECK(gateway->wait(10s) == 128 + SIGKILL);
    gateway = sys.startGateway(config, "gateway-" + std::to_string(i + 1) + ".log");
  }
  storedGrows();  // the last gateway is up and storing
  REQUIRE(sim.running());
  sim.signal(SIGTERM);
  REQUIRE(sim.wait(60s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent > 0);
  REQUIRE(sent == static_cast<long>(System::sent(sys.path("run-sent.csv")).size()));

  // Nothing more will come once the spool is empty and the count stays put.
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 60s));
  REQUIRE(waitSettled([&] { return sys.count("gw1").count; }, 3s, 60s));

  Counts c = sys.count("gw1");
  CHECK(c.distinct == c.count);  // nothing doubled
  Losses l = lossesAroundKills(sys.stored("gw1"), System::sent(sys.path("run-sent.csv")), kills);
  CHECK(l.not_sent == 0);  // everything stored was sent, with its exact time and value
  CHECK(l.outside_window == 0);
  // One linger period at this rate is 100 readings; allow for the machine's scheduling.
  CHECK(l.lost <= static_cast<long>(kills.size()) * 3 * 100);
  MESSAGE("kill -9 x", kills.size(), " at ", rate, " readings/s: ", l.lost,
          " readings lost in all (sent ", sent, ", stored ", c.count, ")");
}

namespace {
void overflow(const std::string& policy) {
  System sys(/*separate_local=*/true);
  auto config = sys.provision("gw1", "status_interval_s = 1\nack_timeout_ms = 1000\n", "",
                              "max_bytes = 32768\npolicy = \"" + policy + "\"\n");
  StatusWatcher status(sys.broker().uri(), "gw1");
  auto gateway = sys.startGateway(config, "gateway.log");
  // No ingester yet: nothing is acknowledged and the spool fills up.
  CommandResult sim = run(sys.simArgs("run", 20000, 50, 5000), sys.path(""), 120s);
  REQUIRE(sim.code == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent == 20000);
  REQUIRE(waitFor([&] { return status.field("received") == sent; }, 60s));
  REQUIRE(waitFor([&] { return status.field("dropped") > 0; }, 60s));

  auto ingest = sys.startIngest();
  REQUIRE(waitFor([&] { return status.field("spool_batches") == 0; }, 60s));
  REQUIRE(waitFor([&] { return sys.count("gw1").count == sent - status.field("dropped"); }, 60s));
  long dropped = status.field("dropped");
  Counts c = sys.count("gw1");
  INFO(status.last());
  CHECK(c.count + dropped == sent);
  CHECK(c.distinct == c.count);
  CHECK(dropped > 0);
  CHECK(gateway->log().find("spool full") != std::string::npos);

  // Which readings survived: the newest under drop-oldest, the oldest under reject-new (a
  // later, smaller batch may still fit under reject-new, so look at the ends of the run).
  std::vector<std::string> stored = sys.stored("gw1");
  std::set<std::string> stored_set(stored.begin(), stored.end());
  std::vector<std::pair<std::int64_t, std::string>> by_time;
  for (const auto& line : System::sent(sys.path("run-sent.csv"))) {
    by_time.emplace_back(std::stoll(line.substr(line.find(',') + 1)), line);
  }
  std::sort(by_time.begin(), by_time.end());
  std::size_t half = stored.size() / 2;
  std::size_t kept_at_end = 0;
  std::size_t kept_at_start = 0;
  for (std::size_t i = 0; i < half; ++i) {
    kept_at_start += stored_set.count(by_time[i].second);
    kept_at_end += stored_set.count(by_time[by_time.size() - 1 - i].second);
  }
  if (policy == "drop-oldest") {
    CHECK(kept_at_end == half);
    CHECK(kept_at_start < half);
  } else {
    CHECK(kept_at_start == half);
    CHECK(kept_at_end < half);
  }
}
}  // namespace

TEST_CASE("gateway: a full spool under drop-oldest: sent = stored + dropped, reported") {
  overflow("drop-oldest");
}

TEST_CASE("gateway: a full spool under reject-new: sent = stored + dropped, reported") {
  overflow("reject-new");
}

TEST_CASE("gateway: backfill keeps its pace and live readings arrive during it") {
  System sys(/*separate_local=*/true);
  const long pace = 2000;  // readings per second
  auto config = sys.provision(
      "gw1", "backfill_readings_per_s = " + std::to_string(pace) + "\nreconnect_max_ms = 500\n",
      "max_readings = 200\n");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");

  Process sim(sys.simArgs("run", 24000, 40, 2000), sys.path("sim.log"));
  REQUIRE(waitFor([&] { return sys.count("gw1").count >= 1000; }, 60s));
  sys.broker().kill9();
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) >= 8000; }, 60s));
  REQUIRE(sim.running());
  sys.broker().start();
  REQUIRE(sim.wait(120s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  sys.requireExactlyOnce("gw1", sent, "run", gateway->log());

  // When each batch was committed, from the ingester's ledger.
  auto db = sqlite::Database::open(sys.data() + "/store.db", sqlite::Database::Mode::kReadOnly);
  REQUIRE(db.has_value());
  auto st = db->prepare("SELECT stored_ms, readings, historical FROM batches ORDER BY stored_ms");
  REQUIRE(st.has_value());
  std::vector<std::pair<std::int64_t, long>> backfill;
  std::vector<std::int64_t> live;
  while (*st->step()) {
    if (st->int64(2) == 1)
      backfill.emplace_back(st->int64(0), static_cast<long>(st->int64(1)));
    else
      live.push_back(st->int64(0));
  }
  REQUIRE(backfill.size() > 10);
  long backfilled = 0;
  for (const auto& b : backfill) backfilled += b.second;
  CHECK(backfilled >= 6000);  // most of the 8000+ spooled while the uplink was down

  // The pace holds: within any window, no more than pace x window, plus one second's banked
  // allowance and one batch, was committed from the backlog. (A slow machine only lowers this.)
  long worst_excess = LONG_MIN;
  for (std::size_t i = 0; i < backfill.size(); ++i) {
    long sum = 0;
    for (std::size_t j = i; j < backfill.size(); ++j) {
      sum += backfill[j].second;
      double window_s = static_cast<double>(backfill[j].first - backfill[i].first) / 1000.0;
      worst_excess = std::max(worst_excess, sum - static_cast<long>(pace * window_s));
    }
  }
  CHECK(worst_excess <= pace + 200 + 200);
  // The whole backlog therefore took at least (backfilled - pace) / pace seconds ...
  double took_s = static_cast<double>(backfill.back().first - backfill.front().first) / 1000.0;
  CHECK(took_s >= static_cast<double>(backfilled - pace - 400) / pace);
  // ... and live batches were committed while it drained.
  long live_during = std::count_if(live.begin(), live.end(), [&](std::int64_t t) {
    return t > backfill.front().first && t < backfill.back().first;
  });
  CHECK(live_during > 0);
  MESSAGE("backfilled ", backfilled, " readings in ", took_s, " s at a pace of ", pace, "/s; ",
          live_during, " live batches committed meanwhile");
}

TEST_CASE("gateway: text, boolean, data and sum values travel end to end") {
  System sys;
  auto config = sys.provision("gw1");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");
  mqtt::ClientOptions o;
  o.uri = sys.localBroker().uri();
  o.client_id = "probe-sensor";
  mqtt::Client sensor(o);
  sensor.start();
  REQUIRE(sensor.waitConnected(10s));
  REQUIRE(sensor.publish(
      "sensors/room",
      std::string_view(R"([{"bn":"room1:","bt":1700000000,"n":"label","vs":"Hall, east"},
                             {"n":"open","vb":true,"t":1},{"n":"raw","vd":"aGkgCg","t":2},
                             {"n":"energy","u":"J","s":1234.5,"t":3}])"),
      1));
  REQUIRE(sensor.publish("sensors/room", std::string_view("not json"), 1));
  // Beyond the 256 KiB a sensor message may have: refused whole, before parsing.
  std::string huge = "[" + std::string(300 * 1024, ' ') + "]";
  REQUIRE(sensor.publish("sensors/room", std::string_view(huge), 1));
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 4; }, 30s));
  std::vector<std::string> expected{
      "room1:energy,1700000003000,1234.5", "room1:label,1700000000000,\"Hall, east\"",
      "room1:open,1700000001000,true", "room1:raw,1700000002000,aGkgCg"};
  CHECK(sys.stored("gw1") == expected);
  StatusWatcher status(sys.broker().uri(), "gw1");
  // Acknowledged and gone from the spool before the gateway stops.
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 30s));
  REQUIRE(gateway->stop() == 0);
  // The final status (retained) counts the bad payloads by their reasons.
  REQUIRE(waitFor([&] { return status.last().find("\"offline\"") != std::string::npos; }, 10s));
  CHECK(status.last().find(R"("rejected":{"bad-json":1,"oversize":1})") != std::string::npos);
  for (const char* field : {"\"received\":4", "\"acked\":4", "\"dropped\":0", "\"spool_bytes\":0",
                            "\"wire_bytes_per_reading\":", "\"reduced\":0"}) {
    INFO(status.last());
    CHECK(status.last().find(field) != std::string::npos);
  }
}

TEST_CASE("gateway: SIGTERM spools what is still batched and the next start delivers it") {
  System sys(/*separate_local=*/true);
  auto config =
      sys.provision("gw1", "status_interval_s = 1\n", "linger_ms = 60000\nmax_readings = 100000\n");
  StatusWatcher status(sys.broker().uri(), "gw1");
  auto gateway = sys.startGateway(config, "gateway-1.log");
  CommandResult sim = run(sys.simArgs("run", 500, 5, 0), sys.path(""), 60s);
  REQUIRE(sim.code == 0);
  REQUIRE(waitFor([&] { return status.field("received") == 500; }, 30s));
  CHECK(spoolReadings(sys.spoolPath("gw1")) == 0);  // all of it waits in the batcher
  CHECK(gateway->stop() == 0);
  CHECK(spoolReadings(sys.spoolPath("gw1")) == 500);
  CHECK(status.last().find("\"state\":\"offline\"") != std::string::npos);

  auto ingest = sys.startIngest();
  gateway = sys.startGateway(config, "gateway-2.log");
  sys.requireExactlyOnce("gw1", 500, "run", gateway->log());
  CHECK(gateway->log().find("spool holds 1 batches (500 readings") != std::string::npos);
}
