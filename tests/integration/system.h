#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/http_probe.h"
#include "tests/unit/temp_dir.h"

namespace dots::itest {

struct Counts {
  long count = -1;
  long distinct = -1;
};

// What a run under gateway kills lost, by dots-sim's log ("sensor,time_ms,value" lines).
struct Losses {
  long lost = 0;            // sent, not stored
  long outside_window = 0;  // of those, sent outside every kill's exposure window
  long not_sent = 0;        // stored but never sent as stored (changed or invented)
};

// A reading sent within 500 ms before a kill or 50 ms after it may have been received but not
// yet spooled (the documented exposure window, one linger period, plus the time a reading takes
// from the sensor into the gateway); any other loss is a broken guarantee. An emulated gateway
// (scripts/test-arm runs it under qemu) takes longer to take a reading in: DOTS_TEST_EXPOSURE_MS
// widens the 500 ms.
inline Losses lossesAroundKills(const std::vector<std::string>& stored,
                                const std::vector<std::string>& sent,
                                const std::vector<std::int64_t>& kills) {
  const char* wider = std::getenv("DOTS_TEST_EXPOSURE_MS");
  const std::int64_t before_ms = wider ? std::max<std::int64_t>(500, std::atoll(wider)) : 500;
  std::set<std::string> unmatched(stored.begin(), stored.end());
  Losses l;
  for (const std::string& line : sent) {
    if (unmatched.erase(line) == 1) continue;
    ++l.lost;
    std::int64_t t = std::stoll(line.substr(line.find(',') + 1));
    bool near_kill = false;
    for (std::int64_t k : kills) near_kill = near_kill || (t > k - before_ms && t <= k + 50);
    if (!near_kill) ++l.outside_window;
  }
  l.not_sent = static_cast<long>(unmatched.size());
  return l;
}

// A whole Dots installation on loopback: a real Mosquitto, a data folder provisioned with
// dotsctl, and dots-ingest / dots-gateway processes started on demand.
class System {
 public:
  // With `separate_local`, sensors and the gateway's input use a broker of their own (as on a
  // board); otherwise one broker serves both sides.
  explicit System(bool separate_local = false) : broker_(dir_.str()) {
    if (separate_local) {
      std::filesystem::create_directories(dir_.file("local"));
      local_ = std::make_unique<Broker>(dir_.file("local"));
    }
    std::filesystem::create_directories(data());
    ctl({"account", "add", "acme"});
    // The tests' brokers and webhook receivers are on loopback, which is refused unless
    // allow-listed.
    ctl({"allow-list", "add", "127.0.0.0/8"});
  }

  Broker& localBroker() { return local_ ? *local_ : broker_; }

  std::string data() const { return dir_.file("data"); }
  std::string spoolPath(const std::string& gw) const { return dir_.file("spool-" + gw + ".db"); }
  std::string path(const std::string& name) const { return dir_.file(name); }
  Broker& broker() { return broker_; }

  // A token for the HTTP API: the last line dotsctl token create prints.
  std::string token(const std::string& account, const std::string& scopes) {
    std::string out = ctl({"token", "create", "--account", account, "--scope", scopes}).out;
    out.erase(out.find_last_not_of('\n') + 1);
    return out.substr(out.rfind('\n') + 1);
  }
  // /metrics of the ingester whose HTTP port is `port`, read with an operator token.
  std::string metrics(int port) {
    if (operator_token_.empty()) {
      std::string out = ctl({"token", "create", "--operator", "--name", "tests"}).out;
      out.erase(out.find_last_not_of('\n') + 1);
      operator_token_ = out.substr(out.rfind('\n') + 1);
    }
    return httpGet(port, "/metrics", nullptr, operator_token_);
  }

  CommandResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {DOTS_CTL_BIN, "--data", data()});
    CommandResult r = run(args, dir_.str());
    INFO("dotsctl stderr: ", r.err);
    REQUIRE(r.code == 0);
    return r;
  }

  // Provisions `gw` and writes its config, with `extra` lines added under [uplink] and [batch].
  std::string provision(const std::string& gw, const std::string& uplink_extra = "",
                        const std::string& batch_extra = "", const std::string& spool_extra = "") {
    CommandResult r =
        ctl({"endpoint", "add", "--account", "acme", "--gateway", gw, "--broker", broker_.uri(),
             "--local-broker", localBroker().uri(), "--spool", spoolPath(gw)});
    std::string config = r.out;
    config.replace(config.find("[uplink]\n"), 9, "[uplink]\n" + uplink_extra);
    config += spool_extra;
    config += "\n[batch]\n" + batch_extra;
    std::string file = path(gw + ".toml");
    writeFile(file, config);
    return file;
  }

  // Provisions gateway `gw` of `account`, whose sensors publish under <topic_prefix>/.
  std::string provisionFor(const std::string& account, const std::string& gw,
                           const std::string& topic_prefix, bool route_default) {
    std::vector<std::string> args{
        "endpoint", "add",        "--account",   account,          "--gateway",
        gw,         "--broker",   broker_.uri(), "--local-broker", localBroker().uri(),
        "--spool",  spoolPath(gw)};
    if (!route_default) args.push_back("--no-route");
    std::string config = ctl(args).out;
    config.replace(config.find("sensors/#"), 9, topic_prefix + "/#");
    std::string file = path(gw + ".toml");
    writeFile(file, config);
    return file;
  }

  std::unique_ptr<Process> startIngest(const std::string& log_name = "ingest.log",
                                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{DOTS_INGEST_BIN, "--data", data(), "--broker", broker_.uri()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(argv, path(log_name));
    bool up =
        waitFor([&] { return p->log().find("ingest-mqtt: connected") != std::string::npos; }, 20s);
    INFO(p->log());
    REQUIRE(up);
    return p;
  }

  std::unique_ptr<Process> startGateway(const std::string& config, const std::string& log_name) {
    std::vector<std::string> argv = gatewayCommand();
    argv.insert(argv.end(), {"--config", config});
    auto p = std::make_unique<Process>(argv, path(log_name));
    bool up = waitFor(
        [&] {
          std::string log = p->log();
          return log.find("input: connected") != std::string::npos &&
                 log.find("uplink: connected") != std::string::npos;
        },
        20s);
    INFO(p->log());
    REQUIRE(up);
    return p;
  }

  // dots-gateway, or what DOTS_GATEWAY_CMD says (space-separated), e.g. a cross-built gateway
  // under qemu-user: "qemu-aarch64 -L /usr/aarch64-linux-gnu .../dots-gateway".
  static std::vector<std::string> gatewayCommand() {
    const char* cmd = std::getenv("DOTS_GATEWAY_CMD");
    if (!cmd || !*cmd) return {DOTS_GATEWAY_BIN};
    std::vector<std::string> argv;
    std::istringstream in(cmd);
    for (std::string word; in >> word;) argv.push_back(word);
    return argv;
  }

  Counts count(const std::string& gw = "") {
    std::vector<std::string> args{"readings", "count", "--json"};
    if (!gw.empty()) args.insert(args.end(), {"--gateway", gw});
    CommandResult r = ctl(args);
    std::smatch m;
    Counts c;
    if (std::regex_search(r.out, m, std::regex(R"(\"count\": (\d+), \"distinct\": (\d+))"))) {
      c.count = std::stol(m[1]);
      c.distinct = std::stol(m[2]);
    }
    return c;
  }

  // "sensor,time_ms,value" lines of what was stored for `gw`, sorted.
  std::vector<std::string> stored(const std::string& gw) {
    CommandResult r = ctl({"readings", "export", "--gateway", gw, "--format", "csv"});
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    std::string line;
    std::getline(in, line);
    CHECK(line == "gateway,sensor,time_ms,value");
    while (std::getline(in, line)) {
      REQUIRE(line.starts_with(gw + ","));
      lines.push_back(line.substr(gw.size() + 1));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  // The lines of dots-sim's --log-csv file, sorted.
  static std::vector<std::string> sent(const std::string& csv_path) {
    std::vector<std::string> lines;
    std::istringstream in(readFile(csv_path));
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  static long sentCount(const std::string& summary_path) {
    std::smatch m;
    std::string s = readFile(summary_path);
    if (!std::regex_search(s, m, std::regex(R"(\"sent\": (\d+))"))) return -1;
    return std::stol(m[1]);
  }

  // Waits until `expected` readings of `gw` are stored, then requires each exactly once with the
  // sensor, time and value dots-sim logged in <tag>-sent.csv.
  void requireExactlyOnce(const std::string& gw, long expected, const std::string& tag,
                          const std::string& context) {
    bool all = waitFor([&] { return count(gw).count >= expected; }, 60s);
    INFO(context);
    REQUIRE(all);
    Counts c = count(gw);
    CHECK(c.count == expected);
    CHECK(c.distinct == expected);
    CHECK(stored(gw) == sent(path(tag + "-sent.csv")));
  }

  std::vector<std::string> simArgs(const std::string& tag, long count, int sensors, double rate) {
    return {DOTS_SIM_BIN,
            "--broker",
            localBroker().uri(),
            "--sensors",
            std::to_string(sensors),
            "--count",
            std::to_string(count),
            "--rate",
            std::to_string(rate),
            "--seed",
            "7",
            "--quiet",
            "--client-id",
            "sim-" + tag,
            "--summary-json",
            path(tag + "-summary.json"),
            "--log-csv",
            path(tag + "-sent.csv")};
  }

 private:
  test::TempDir dir_;
  Broker broker_;
  std::unique_ptr<Broker> local_;
  std::string operator_token_;  // made on first use by metrics()
};

}  // namespace dots::itest
