// The whole data path with real parts: dots-sim -> Mosquitto -> dots-gateway -> Mosquitto ->
// dots-ingest -> SQLite, checked reading by reading through dotsctl.
#include <signal.h>

#include "tests/integration/system.h"

using namespace dots::itest;

TEST_CASE("end to end: every reading sent is stored exactly once with its name, time and value") {
  System sys;
  auto config = sys.provision("gw1");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");

  CommandResult sim = run(sys.simArgs("run", 5000, 25, 0), sys.path(""), 120s);
  INFO("sim: ", sim.err);
  REQUIRE(sim.code == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent == 5000);

  sys.requireExactlyOnce("gw1", sent, "run", gateway->log() + ingest->log());

  // A clean shutdown leaves an empty spool: everything was acknowledged.
  CHECK(gateway->stop() == 0);
  CHECK(gateway->log().find("spool keeps 0 batches") != std::string::npos);
  CHECK(ingest->stop() == 0);
}

TEST_CASE(
    "end to end: an ingester killed (-9) and restarted mid-stream loses and doubles nothing") {
  System sys;
  // A short ack timeout so the batches the dead ingester never acknowledged come back quickly.
  auto config = sys.provision("gw1", "ack_timeout_ms = 1000\n");
  auto ingest = sys.startIngest("ingest-1.log");
  auto gateway = sys.startGateway(config, "gateway.log");

  // The stream's count is only a bound: it is stopped (SIGTERM) once the new ingester stores,
  // so it is still running at the kill however slow the machine (or qemu) is.
  Process sim(sys.simArgs("run", 3000 * 120, 30, 3000), sys.path("sim.log"));
  // Kill once a good part is stored, while the simulator is still sending.
  REQUIRE(waitFor([&] { return sys.count("gw1").count >= 2000; }, 60s));
  REQUIRE(sim.running());
  ingest->signal(SIGKILL);
  CHECK(ingest->wait(10s) == 128 + SIGKILL);
  long at_kill = sys.count("gw1").count;
  ingest = sys.startIngest("ingest-2.log");
  REQUIRE(waitFor([&] { return sys.count("gw1").count >= at_kill + 2000; }, 60s));
  REQUIRE(sim.running());
  sim.signal(SIGTERM);
  REQUIRE(sim.wait(60s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent > 0);
  REQUIRE(sent == static_cast<long>(System::sent(sys.path("run-sent.csv")).size()));
  CHECK(at_kill < sent);  // the kill really was mid-stream

  sys.requireExactlyOnce("gw1", sent, "run", gateway->log() + ingest->log());
}

TEST_CASE("end to end: two gateways, JSON and bare-number payloads") {
  System sys;
  auto c1 = sys.provision("gw-a");
  auto ingest = sys.startIngest();
  auto gw = sys.startGateway(c1, "gateway-a.log");

  auto args = sys.simArgs("json", 600, 6, 0);
  args.insert(args.end(), {"--format", "json"});
  CommandResult json = run(args, sys.path(""), 60s);
  REQUIRE(json.code == 0);
  auto plain_args = sys.simArgs("plain", 300, 3, 0);
  plain_args.insert(plain_args.end(), {"--format", "plain", "--name-prefix", "plain-"});
  CommandResult plain = run(plain_args, sys.path(""), 60s);
  REQUIRE(plain.code == 0);

  REQUIRE(waitFor([&] { return sys.count("gw-a").count >= 900; }, 60s));
  CHECK(sys.count("gw-a").count == 900);
  // JSON objects carry their own time: stored exactly as sent.
  auto stored = sys.stored("gw-a");
  auto json_sent = System::sent(sys.path("json-sent.csv"));
  std::vector<std::string> json_stored;
  for (const auto& line : stored) {
    if (!line.starts_with("plain-")) json_stored.push_back(line);
  }
  CHECK(json_stored == json_sent);
  // Bare numbers are timed by the gateway: compare sensor and value per sensor in order.
  CHECK(std::count_if(stored.begin(), stored.end(),
                      [](const std::string& l) { return l.starts_with("plain-"); }) == 300);
}
