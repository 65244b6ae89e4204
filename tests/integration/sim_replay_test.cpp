// dots-sim --replay through the whole data path: CSV series (NAB's form and readings export's)
// -> Mosquitto -> dots-gateway -> dots-ingest -> SQLite, checked reading by reading.
#include <chrono>

#include "tests/integration/system.h"

using namespace dots::itest;

namespace {
std::vector<std::string> replayArgs(System& sys, const std::string& tag,
                                    std::vector<std::string> extra) {
  auto args = sys.simArgs(tag, 0, 1, 0);
  // simArgs' --sensors/--count/--rate are for random walks; replay ignores them.
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
}  // namespace

TEST_CASE("dots-sim --replay: every file's series is sent and stored with its own times") {
  System sys;
  std::filesystem::create_directories(sys.path("series/nab"));
  // NAB's form, with a repeated time (moved 1 ms on) and an unreadable row (skipped).
  writeFile(sys.path("series/nab/room_temp.csv"),
            "timestamp,value\n"
            "2014-04-01 00:00:00,21.5\n"
            "2014-04-01 00:05:00,21.75\n"
            "2014-04-01 00:05:00,22\n"
            "2014-04-01 00:10:00,not-a-number\n"
            "2014-04-01 00:15:00,22.25\n");
  // readings export's form: two sensors in one file.
  writeFile(sys.path("series/export.csv"),
            "gateway,sensor,time_ms,value\n"
            "old,pump/a,1700000000000,1\nold,pump/b,1700000000500,2\nold,pump/a,1700000001000,3\n");
  auto config = sys.provision("gw1");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");

  auto sim = run(replayArgs(sys, "replay", {"--replay", sys.path("series")}), sys.path(""), 60s);
  INFO(sim.err);
  REQUIRE(sim.code == 0);
  std::string summary = readFile(sys.path("replay-summary.json"));
  CHECK(summary.find(R"("sent": 7)") != std::string::npos);
  CHECK(summary.find(R"("files": 2, "bad_rows": 1, "adjusted_times": 1)") != std::string::npos);
  CHECK(summary.find(R"("per_sensor": {"pump/a": 2, "pump/b": 1, "room_temp": 4})") !=
        std::string::npos);
  sys.requireExactlyOnce("gw1", 7, "replay", gateway->log() + ingest->log());
  auto stored = sys.stored("gw1");
  CHECK(std::find(stored.begin(), stored.end(), "room_temp,1396310700001,22") != stored.end());
  CHECK(std::find(stored.begin(), stored.end(), "pump/b,1700000000500,2") != stored.end());
}

TEST_CASE("dots-sim --replay --rebase --speed: times moved to now, the series' pace kept") {
  System sys;
  // Five readings 100 ms apart, replayed at twice their pace: about 200 ms in all.
  writeFile(sys.path("fast.csv"),
            "gateway,sensor,time_ms,value\n"
            "g,s,1000,1\ng,s,1100,2\ng,s,1200,3\ng,s,1300,4\ng,s,1400,5\n");
  auto config = sys.provision("gw1");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto sim = run(
      replayArgs(sys, "rebased", {"--replay", sys.path("fast.csv"), "--rebase", "--speed", "2"}),
      sys.path(""), 60s);
  INFO(sim.err);
  REQUIRE(sim.code == 0);
  sys.requireExactlyOnce("gw1", 5, "rebased", gateway->log() + ingest->log());
  auto stored = sys.stored("gw1");
  REQUIRE(stored.size() == 5);
  auto time_of = [](const std::string& line) {
    auto a = line.find(',') + 1;
    return std::stoll(line.substr(a, line.find(',', a) - a));
  };
  CHECK(time_of(stored.front()) >= before);
  CHECK(time_of(stored.back()) - time_of(stored.front()) == 400);  // spacing kept
  double seconds = 0;
  std::string summary = readFile(sys.path("rebased-summary.json"));
  auto at = summary.find(R"("seconds": )");
  REQUIRE(at != std::string::npos);
  seconds = std::stod(summary.substr(at + 11));
  CHECK(seconds >= 0.2);  // 400 ms of series at twice the pace
}
