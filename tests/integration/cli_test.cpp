// The command-line contract of DESIGN.md §6 that scripts and docs rely on.
#include <signal.h>

#include "tests/integration/system.h"

using namespace dots::itest;
using namespace std::chrono_literals;

TEST_CASE("dotsctl: endpoint add prints a config dots-gateway accepts, errors have exit codes") {
  dots::test::TempDir dir;
  std::string data = dir.file("data");
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {DOTS_CTL_BIN, "--data", data});
    return run(args, dir.str());
  };
  CHECK(ctl({"account", "add", "acme"}).code == 0);
  CHECK(ctl({"account", "add", "acme"}).code == 3);
  CommandResult ep = ctl({"endpoint", "add", "--account", "acme", "--gateway", "gw1"});
  REQUIRE(ep.code == 0);
  CHECK(ep.out.find("id = \"gw1\"") != std::string::npos);
  CHECK(ctl({"endpoint", "add", "--account", "nobody", "--gateway", "gw2"}).code == 3);
  CHECK(ctl({"endpoint", "add", "--account", "acme"}).code == 2);  // usage

  std::string config = dir.file("gw1.toml");
  writeFile(config, ep.out);
  CommandResult check = run({DOTS_GATEWAY_BIN, "--config", config, "--check-config"}, dir.str());
  CHECK(check.code == 0);
  CHECK(check.out.find("ok (gateway gw1)") != std::string::npos);

  CommandResult list = ctl({"endpoint", "list", "--json"});
  CHECK(list.out == "[{\"gateway\":\"gw1\",\"account\":\"acme\",\"enabled\":true,\"key_id\":1}]\n");
  CommandResult count = ctl({"readings", "count", "--json"});
  CHECK(count.out == "{\"count\": 0, \"distinct\": 0}\n");
}

TEST_CASE("dots-gateway: a bad config stops start-up naming file, line and key") {
  dots::test::TempDir dir;
  std::string config = dir.file("bad.toml");
  writeFile(config,
            "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" +
                std::string("3f9c1a7e52d84b06e1c9aa3b7d20f5e8c46b19d0a7f3e25c88b4d6013e9f7a2c") +
                "\"\n[batch]\nlinger_ms = -5\n");
  CommandResult r = run({DOTS_GATEWAY_BIN, "--config", config}, dir.str());
  CHECK(r.code == 2);
  CHECK(r.err.find(config + ":7: key 'batch.linger_ms': must be between 1 and 60000 (got -5)") !=
        std::string::npos);
}

TEST_CASE("dots-sim and dots-ingest refuse bad arguments with exit code 2") {
  dots::test::TempDir dir;
  CHECK(run({DOTS_SIM_BIN, "--sensors", "3"}, dir.str()).code == 2);
  CHECK(run({DOTS_SIM_BIN, "--format", "xml", "--count", "1"}, dir.str()).code == 2);
  // A replay sends the series' own times: not as bare numbers, which carry none.
  CHECK(run({DOTS_SIM_BIN, "--replay", dir.str(), "--format", "plain"}, dir.str()).code == 2);
  CHECK(run({DOTS_INGEST_BIN, "--data", dir.file("missing"), "--broker", "tcp://127.0.0.1:1"},
            dir.str())
            .code == 2);
  CHECK(run({DOTS_INGEST_BIN, "--data", dir.str(), "--broker", "http://x"}, dir.str()).code == 2);
}

TEST_CASE("dots-sim: SIGTERM ends a run early, with what was sent confirmed and summed up") {
  System sys;
  auto args = sys.simArgs("run", 100000000, 5, 500);
  Process sim(args, sys.path("sim.log"));
  std::string csv = sys.path("run-sent.csv");
  REQUIRE(waitFor([&] { return System::sent(csv).size() >= 50; }, 30s));
  sim.signal(SIGTERM);
  REQUIRE(sim.wait(30s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  CHECK(sent >= 50);
  CHECK(sent < 100000000);
  CHECK(sent == static_cast<long>(System::sent(csv).size()));
}
