// The fault suite (CTest label "fault"): a continuous stream while the ingester, the gateway and
// the uplink broker are killed (-9), the uplink is cut and the ingester slowed down, at seeded
// random moments; a spool whose disk fills up; and a store whose disk falls below the
// ingester's watermark. After each run the books must balance to the reading.
// DOTS_FAULT_CYCLES sets the number of fault cycles (short by default, for CI) and
// DOTS_FAULT_SEED the seed; scripts/fault-soak runs a long one.
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "shared/time/clock.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/link.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

namespace {

long envLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stol(v) : fallback;
}

long cycles() {
  return envLong("DOTS_FAULT_CYCLES", 10);
}
std::uint64_t seed() {
  return static_cast<std::uint64_t>(envLong("DOTS_FAULT_SEED", 1));
}

long storedRows(System& sys) {
  return queryLong(sys.data() + "/store.db", "SELECT coalesce(sum(count), 0) FROM reading_blocks");
}

// A random duration in [lo, hi] milliseconds.
std::chrono::milliseconds between(std::mt19937_64& rng, long lo, long hi) {
  return std::chrono::milliseconds(std::uniform_int_distribution<long>(lo, hi)(rng));
}

// Holds the test at a random moment between faults. The pause is what makes the moment random;
// every wait for an outcome is a condition with a deadline.
void pause(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

enum class Fault { kKillIngester, kKillGateway, kKillBroker, kCutUplink, kSlowIngester };
constexpr std::array<const char*, 5> kFaultNames{"kill-ingester", "kill-gateway", "kill-broker",
                                                 "cut-uplink", "slow-ingester"};

// The gateway's config with its uplink through `link` and its spool at `spool`.
std::string reroute(System& sys, const std::string& config_path, const Link& link,
                    const std::string& spool) {
  std::string config = readFile(config_path);
  std::string uri = sys.broker().uri();
  config.replace(config.find("\"" + uri + "\""), uri.size() + 2, "\"" + link.uri() + "\"");
  std::string old_spool = sys.spoolPath("gw1");
  config.replace(config.find(old_spool), old_spool.size(), spool);
  writeFile(config_path, config);
  return config_path;
}

}  // namespace

TEST_CASE("fault: kill -9 of ingester, gateway and broker, uplink cuts and a slowed ingester") {
  const long n = cycles();
  std::mt19937_64 rng(seed());
  System sys(/*separate_local=*/true);
  Link link(sys.broker().port());
  auto config = reroute(
      sys,
      sys.provision("gw1", "ack_timeout_ms = 1000\nreconnect_max_ms = 500\n", "linger_ms = 50\n"),
      link, sys.spoolPath("gw1"));
  auto ingest = sys.startIngest("ingest-0.log");
  auto gateway = sys.startGateway(config, "gateway-0.log");

  // A stream for as long as the cycles take: stopped (SIGTERM) after the last one. Its count is
  // only a bound (a minute per cycle); it must still be running at every fault.
  const double rate = 1500;
  const long bound = static_cast<long>(rate * 60.0 * static_cast<double>(n + 1));
  Process sim(sys.simArgs("run", bound, 40, rate), sys.path("sim.log"));
  REQUIRE(waitFor([&] { return storedRows(sys) > 0; }, 60s));

  // Every kind comes once in each round of five, in a seeded order.
  std::vector<Fault> order;
  std::map<std::string, long> done;
  std::vector<std::int64_t> gateway_kills;
  int restarts = 0;
  for (long i = 0; i < n; ++i) {
    if (order.empty()) {
      order = {Fault::kKillIngester, Fault::kKillGateway, Fault::kKillBroker, Fault::kCutUplink,
               Fault::kSlowIngester};
      std::shuffle(order.begin(), order.end(), rng);
    }
    Fault fault = order.back();
    order.pop_back();
    REQUIRE(sim.running());
    pause(between(rng, 100, 1000));
    long before = storedRows(sys);
    std::string tag = std::to_string(++restarts);
    switch (fault) {
      case Fault::kKillIngester:
        ingest->signal(SIGKILL);
        REQUIRE(ingest->wait(10s) == 128 + SIGKILL);
        pause(between(rng, 0, 1000));
        ingest = sys.startIngest("ingest-" + tag + ".log");
        break;
      case Fault::kKillGateway:
        gateway->signal(SIGKILL);
        gateway_kills.push_back(wallMillis());
        REQUIRE(gateway->wait(10s) == 128 + SIGKILL);
        pause(between(rng, 0, 1000));
        gateway = sys.startGateway(config, "gateway-" + tag + ".log");
        break;
      case Fault::kKillBroker:
        sys.broker().kill9();
        pause(between(rng, 0, 1000));
        sys.broker().start();
        break;
      case Fault::kCutUplink:
        link.cut();
        pause(between(rng, 300, 3000));
        link.restore();
        break;
      case Fault::kSlowIngester: {
        // Stopped most of the time for a while: a slow consumer, not a dead one.
        auto until = std::chrono::steady_clock::now() + between(rng, 1000, 3000);
        while (std::chrono::steady_clock::now() < until) {
          ingest->signal(SIGSTOP);
          pause(150ms);
          ingest->signal(SIGCONT);
          pause(50ms);
        }
        break;
      }
    }
    ++done[kFaultNames[static_cast<std::size_t>(fault)]];
    // The system recovers from each fault before the next: stored readings grow again.
    bool recovered = waitFor([&] { return storedRows(sys) > before || !sim.running(); }, 60s);
    INFO("after ", kFaultNames[static_cast<std::size_t>(fault)], " (cycle ", i + 1, ")");
    INFO(gateway->log());
    REQUIRE(recovered);
  }

  REQUIRE(sim.running());
  sim.signal(SIGTERM);
  REQUIRE(sim.wait(60s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent > 0);
  REQUIRE(sent == static_cast<long>(System::sent(sys.path("run-sent.csv")).size()));
  // Nothing more will come once the spool is empty and the count stays put.
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 120s));
  REQUIRE(waitSettled([&] { return storedRows(sys); }, 3s, 120s));

  // The books: stored exactly once with the values sent; what is missing was sent in the
  // documented exposure window of a gateway kill (received, not yet spooled).
  Counts c = sys.count("gw1");
  CHECK(c.distinct == c.count);
  Losses l =
      lossesAroundKills(sys.stored("gw1"), System::sent(sys.path("run-sent.csv")), gateway_kills);
  CHECK(l.not_sent == 0);  // nothing stored that was not sent, nothing changed
  CHECK(l.outside_window == 0);
  CHECK(l.lost <= static_cast<long>(gateway_kills.size()) * 3 * 100);
  std::string kinds;
  for (const auto& [name, count] : done) kinds += " " + name + "=" + std::to_string(count);
  MESSAGE("fault: seed ", seed(), ", ", n, " cycles (", kinds, " ): sent ", sent, ", stored ",
          c.count, " exactly once, lost ", l.lost, " (all within the exposure window of ",
          gateway_kills.size(), " gateway kills)");
}

namespace {
// A small tmpfs (for a spool or a data folder), mounted for the test's lifetime.
class SmallDisk {
 public:
  SmallDisk(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::uint64_t freeBytes() const {
    struct statvfs fs {};
    ::statvfs(dir_.c_str(), &fs);
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  // Fills the disk until only `left` bytes are free.
  void fillTo(std::uint64_t left) {
    std::uint64_t free = freeBytes();
    if (free <= left) return;
    std::ofstream out(dir_ + "/ballast", std::ios::binary | std::ios::app);
    std::string block(64 * 1024, 'x');
    for (std::uint64_t n = free - left; n > 0;) {
      std::uint64_t w = std::min<std::uint64_t>(n, block.size());
      out.write(block.data(), static_cast<std::streamsize>(w));
      n -= w;
    }
  }
  void emptyBallast() { std::remove((dir_ + "/ballast").c_str()); }

 private:
  std::string dir_;
  bool mounted_ = false;
};
}  // namespace

TEST_CASE("fault: the spool's disk fills up, the policy makes room, the books balance") {
  if (::geteuid() != 0) {
    MESSAGE("SKIPPED: mounting a size-limited tmpfs for the spool needs root");
    return;
  }
  const long rounds = std::max(1L, cycles() / 5);
  System sys(/*separate_local=*/true);
  SmallDisk disk(sys.path("disk"), "16m");
  REQUIRE(disk.mounted());
  Link link(sys.broker().port());
  const std::uint64_t min_free = 6u << 20;
  std::string spool = sys.path("disk") + "/spool.db";
  auto config = reroute(
      sys,
      sys.provision("gw1", "status_interval_s = 1\nack_timeout_ms = 1000\nreconnect_max_ms = 500\n",
                    "", "min_free_bytes = " + std::to_string(min_free) + "\n"),
      link, spool);
  StatusWatcher status(sys.broker().uri(), "gw1");
  auto ingest = sys.startIngest();
  // The run of the latest status message ("" before the first): a restarted gateway has a new one.
  auto runOf = [&] {
    std::smatch m;
    std::string text = status.last();
    return std::regex_search(text, m, std::regex("\"run\":\"([0-9a-f]+)\"")) ? m[1].str()
                                                                             : std::string();
  };
  long sent = 0;
  long dropped_total = 0;
  bool disk_low_logged = false;
  for (long round = 0; round < rounds; ++round) {
    // Each round starts a gateway on an empty spool file: a spool file keeps the pages it freed,
    // and a later round would fill those before the disk (the disk would not be the limit).
    std::string previous_run = runOf();
    auto gateway = sys.startGateway(config, "gateway-" + std::to_string(round) + ".log");
    REQUIRE(waitFor([&] { return !runOf().empty() && runOf() != previous_run; }, 30s));
    long round_count = 0;
    // The uplink is down and the disk all but full: the spool must live within what is left.
    link.cut();
    disk.fillTo(min_free + (3u << 19));
    // Chunks of readings until the gateway reports the spool full (the disk is the limit).
    std::vector<std::string> round_sent;
    auto full_reports = [&] {
      std::string log = gateway->log();
      long k = 0;
      for (auto at = log.find("spool full"); at != std::string::npos;
           at = log.find("spool full", at + 1)) {
        ++k;
      }
      return k;
    };
    for (int chunk = 0; chunk < 20 && full_reports() == 0; ++chunk) {
      std::string tag = "r" + std::to_string(round) + "c" + std::to_string(chunk);
      auto args = sys.simArgs(tag, 20000, 500, 10000);
      args.insert(args.end(), {"--name-prefix", "r" + std::to_string(round) + "-"});
      CommandResult sim = run(args, sys.path(""), 300s);
      REQUIRE(sim.code == 0);
      round_count += System::sentCount(sys.path(tag + "-summary.json"));
      auto lines = System::sent(sys.path(tag + "-sent.csv"));
      round_sent.insert(round_sent.end(), lines.begin(), lines.end());
      // The gateway has taken in the chunk (its log reports a full spool as it happens).
      REQUIRE(waitSettled([&] { return spoolReadings(spool) + full_reports(); }, 1s, 60s));
    }
    link.restore();
    INFO(gateway->log());
    REQUIRE(waitFor([&] { return status.field("received") == round_count; }, 120s));
    REQUIRE(waitFor([&] { return status.field("spool_batches") == 0; }, 120s));
    long dropped = status.field("dropped");
    CHECK(dropped > 0);  // the disk really was the limit
    sent += round_count;
    dropped_total += dropped;
    REQUIRE(waitFor([&] { return sys.count("gw1").count == sent - dropped_total; }, 60s));
    // Under drop-oldest the newest readings of the round survive.
    std::vector<std::pair<std::int64_t, std::string>> by_time;
    for (const auto& line : round_sent) {
      by_time.emplace_back(std::stoll(line.substr(line.find(',') + 1)), line);
    }
    std::sort(by_time.begin(), by_time.end());
    std::vector<std::string> stored = sys.stored("gw1");
    std::set<std::string> stored_set(stored.begin(), stored.end());
    CHECK(stored_set.count(by_time.back().second) == 1);
    CHECK(stored_set.count(by_time.front().second) == 0);
    MESSAGE("fault: disk round ", round + 1, ": sent ", round_sent.size(), ", dropped ", dropped,
            " by policy at ", disk.freeBytes(), " bytes free");
    CHECK(status.field("spool_errors") == 0);
    disk_low_logged =
        disk_low_logged || gateway->log().find("free disk space is down") != std::string::npos;
    int stopped = gateway->stop();
    INFO(gateway->log());
    CHECK(stopped == 0);
    // Everything was acknowledged: the spool is empty, and the next round gets a new file.
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(spool + suffix);
    disk.emptyBallast();
  }
  Counts c = sys.count("gw1");
  CHECK(c.count + dropped_total == sent);  // the books balance to the reading
  CHECK(c.distinct == c.count);
  CHECK(disk_low_logged);
}

TEST_CASE("fault: the store's disk falls below the watermark while a gateway streams") {
  if (::geteuid() != 0) {
    MESSAGE("SKIPPED: mounting a size-limited tmpfs for the store needs root");
    return;
  }
  System sys(/*separate_local=*/true);
  // The data folder on a 48 MiB tmpfs, with the registry dotsctl made there moved onto it.
  std::string before = sys.path("data-before");
  std::filesystem::rename(sys.data(), before);
  SmallDisk disk(sys.data(), "48m");
  REQUIRE(disk.mounted());
  for (const auto& entry : std::filesystem::directory_iterator(before)) {
    std::filesystem::copy(entry.path(), sys.data() + "/" + entry.path().filename().string());
  }
  const std::uint64_t min_free = 16u << 20;
  auto config = sys.provision("gw1", "ack_timeout_ms = 1000\nreconnect_max_ms = 500\n");
  Collector alerts(sys.broker().uri(), "dots/v1/alerts/acme/#", "alert-watch");
  auto ingest =
      sys.startIngest("ingest.log", {"--http", "127.0.0.1:0", "--min-free-bytes",
                                     std::to_string(min_free), "--min-free-percent", "0"});
  int api = httpPortOf(*ingest);
  auto health = [&] {
    int status = 0;
    std::string body = httpGet(api, "/healthz", &status);
    return std::pair{status, body};
  };
  REQUIRE(health().first == 200);
  auto gateway = sys.startGateway(config, "gateway.log");
  Process sim(sys.simArgs("run", 16000, 20, 400), sys.path("sim.log"));
  REQUIRE(waitFor([&] { return storedRows(sys) > 0; }, 30s));

  // Ballast takes the disk below the watermark while the stream goes on.
  disk.fillTo(min_free - (4u << 20));
  INFO(ingest->log());
  REQUIRE(waitFor([&] { return health().first == 503; }, 10s));
  CHECK(health().second.find(R"("status":"disk-low")") != std::string::npos);
  REQUIRE(waitFor([&] { return alerts.count(R"("state":"raised")") == 1; }, 10s));
  CHECK(alerts.count(R"("kind":"disk-low")") == 1);
  CHECK(ingest->log().find("below the watermark") != std::string::npos);
  // Nothing is committed (nor acknowledged) any more: the gateway's spool grows instead.
  REQUIRE(waitSettled([&] { return storedRows(sys); }, 2s, 20s));
  long stored_when_low = storedRows(sys);
  long spooled_when_low = spoolReadings(sys.spoolPath("gw1"));
  REQUIRE(sim.running());
  CHECK(
      waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) > spooled_when_low + 2000; }, 30s));
  CHECK(storedRows(sys) == stored_when_low);
  CHECK(health().first == 503);
  MESSAGE("fault: store disk low at ", disk.freeBytes(), " bytes free: ", stored_when_low,
          " readings stored, spool grew from ", spooled_when_low, " to ",
          spoolReadings(sys.spoolPath("gw1")), " readings");

  // Space returns: it recovers by itself, and everything sent is stored exactly once.
  disk.emptyBallast();
  REQUIRE(waitFor([&] { return health().first == 200; }, 10s));
  REQUIRE(waitFor([&] { return alerts.count(R"("state":"cleared")") == 1; }, 10s));
  REQUIRE(sim.wait(120s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent == 16000);
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 60s));
  sys.requireExactlyOnce("gw1", sent, "run", gateway->log());
  CHECK(alerts.count(R"("state":"raised")") == 1);
  int stopped = ingest->stop();
  CHECK(stopped == 0);
}
