// Attacks on trust, each with a real broker, real processes and real keys: a forged ack, a
// poison batch sealed with a gateway's key, and a spool lost on a board whose clock restarts at
// the same time. Each of them broke a promise before (a spool emptied, an ingester crash-looped,
// readings acknowledged as duplicates and lost); each must now fail harmlessly and be counted.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>

#include "dots/wire/batch_generated.h"
#include "shared/codec/ack_codec.h"
#include "shared/mqtt/client.h"
#include "shared/seal/keys.h"
#include "shared/text/hex.h"
#include "shared/topics/topics.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"
#include "tests/support/sealing.h"

using namespace dots;
using namespace dots::itest;

namespace {

mqtt::ClientOptions probeOptions(System& sys, const std::string& id) {
  mqtt::ClientOptions o;
  o.uri = sys.broker().uri();
  o.client_id = id;
  return o;
}

// Ack version 1 as it was: table Ack { version: ushort = 1; ranges: [SeqRange]; } with struct
// SeqRange { epoch: uint; first: ulong; last: ulong; }, file identifier "DTA1"; no signature.
std::vector<std::uint8_t> unsignedVersion1Ack(std::uint32_t epoch) {
  struct Range {
    std::uint32_t epoch;
    std::uint32_t padding;
    std::uint64_t first;
    std::uint64_t last;
  };
  Range everything{epoch, 0, 0, static_cast<std::uint64_t>(INT64_MAX)};
  flatbuffers::FlatBufferBuilder fbb;
  auto ranges = fbb.CreateVectorOfStructs(&everything, 1);
  auto start = fbb.StartTable();
  fbb.AddOffset(6, ranges);
  fbb.AddElement<std::uint16_t>(4, 1, 0);
  fbb.Finish(flatbuffers::Offset<void>(fbb.EndTable(start)), "DTA1");
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// A top-level string field of a status message.
std::string stringField(const std::string& status, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(status, m, std::regex("\"" + name + "\":\"([^\"]*)\""))) return "";
  return m[1];
}

}  // namespace

TEST_CASE("attack: a forged ack leaves the spool as it is and is counted, the batches come later") {
  System sys;
  auto config = sys.provision("gw1", "status_interval_s = 1\n");
  seal::Key key = keyOf(config);
  // No ingester yet: what the gateway spools stays spooled until a real ack comes.
  auto gateway = sys.startGateway(config, "gateway.log");
  StatusWatcher status(sys.broker().uri(), "gw1");
  REQUIRE(run(sys.simArgs("run", 300, 3, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 300; }, 30s));
  REQUIRE(waitFor([&] { return status.field("epoch") > 0; }, 30s));

  // What an attacker on the broker can learn: the gateway's run and epoch from its status.
  std::string last = status.last();
  std::string run_text = stringField(last, "run");
  std::uint64_t run_id = run_text.empty() ? 0 : std::stoull(run_text, nullptr, 16);
  auto epoch = static_cast<std::uint32_t>(status.field("epoch"));
  codec::AckContent everything{{{run_id, epoch, 0, static_cast<std::uint64_t>(INT64_MAX)}}, {}};
  std::vector<std::vector<std::uint8_t>> forgeries{
      // The unsigned ack of wire version 1 (56 bytes from the old schema/ack.fbs), naming every
      // seq of the epoch: what emptied a spool before acks were signed.
      unsignedVersion1Ack(epoch),
      // Signed under a key of the attacker's own.
      codec::encodeAck(seal::deriveKey(seal::randomKey(), seal::Purpose::kAck, "gw1", 1), "gw1", 1,
                       everything),
      // Under the endpoint key itself, or its uplink key (not the ack key).
      codec::encodeAck(key, "gw1", 1, everything),
      codec::encodeAck(seal::deriveKey(key, seal::Purpose::kUplinkSeal, "gw1", 1, run_id), "gw1", 1,
                       everything),
      // Dead-lettering everything, unsigned.
      codec::encodeAck(seal::Key{}, "gw1", 1,
                       {{}, {{run_id, epoch, 0, static_cast<std::uint64_t>(INT64_MAX)}}}),
  };
  mqtt::Client attacker(probeOptions(sys, "attacker"));
  attacker.start();
  REQUIRE(attacker.waitConnected(10s));
  for (const auto& forged : forgeries) REQUIRE(attacker.publish(topics::ack("gw1"), forged, 1));
  REQUIRE(attacker.publish(topics::ack("gw1"), std::string_view("not an ack"), 1));
  bool counted = waitFor([&] { return status.field("acks_rejected") == 6; }, 30s);
  INFO(status.last());
  REQUIRE(counted);
  CHECK(spoolReadings(sys.spoolPath("gw1")) == 300);
  CHECK(status.field("acked") == 0);
  CHECK(gateway->log().find("dropped an ack: bad-mac") != std::string::npos);

  // The real ingester's acks are authentic: everything is stored once and leaves the spool.
  auto ingest = sys.startIngest();
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 300; }, 60s));
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 60s));
  CHECK(sys.count("gw1").distinct == 300);
  CHECK(sys.stored("gw1") == System::sent(sys.path("run-sent.csv")));
}

TEST_CASE("attack: a poison batch sealed with a gateway's key is dead-lettered, others served") {
  System sys;
  seal::Key key = keyOf(sys.provision("gw-a"));
  auto honest = sys.provision("gw-b");
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  auto gateway = sys.startGateway(honest, "gateway-b.log");
  long rss_before = peakRssKiB(ingest->pid());

  // Collects what the ingester acknowledges to gw-a, verified as gw-a would.
  const seal::Key ack_key = seal::deriveKey(key, seal::Purpose::kAck, "gw-a", 1);
  std::mutex mutex;
  std::set<std::uint64_t> rejected;
  std::set<std::uint64_t> stored;
  mqtt::Client probe(probeOptions(sys, "poisoner"));
  probe.subscribe(topics::ack("gw-a"), 1);
  probe.onMessage([&](std::string_view, std::span<const std::uint8_t> payload) {
    auto ack = codec::decodeAck(payload, "gw-a", 1, ack_key);
    if (!ack) return;
    std::lock_guard lock(mutex);
    for (const auto& r : ack->rejected) {
      for (std::uint64_t q = r.first; q <= r.last; ++q) rejected.insert(q);
    }
    for (const auto& r : ack->stored) {
      for (std::uint64_t q = r.first; q <= r.last; ++q) stored.insert(q);
    }
  });
  probe.start();
  REQUIRE(probe.waitConnected(10s));

  // One series with a 64 KiB name, repeated by every reading: a few hundred bytes sealed,
  // gigabytes if the name were copied into each reading.
  auto poison = [](std::size_t readings) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::Series>> series{
        wire::CreateSeries(fbb, fbb.CreateString(std::string(64 * 1024, 'p')))};
    auto series_vec = fbb.CreateVector(series);
    auto index = fbb.CreateVector(std::vector<std::uint32_t>(readings, 0));
    auto deltas = fbb.CreateVector(std::vector<std::int64_t>(readings, 0));
    auto values = fbb.CreateVector(std::vector<double>(readings, 1.0));
    wire::FinishBatchBuffer(fbb, wire::CreateBatch(fbb, 1, false, 1'700'000'000'000, series_vec,
                                                   index, deltas, values));
    return std::vector<std::uint8_t>(fbb.GetBufferPointer(),
                                     fbb.GetBufferPointer() + fbb.GetSize());
  };
  constexpr std::uint64_t kRun = 0xbad;
  std::vector<std::vector<std::uint8_t>> poisons{
      test::sealAsGateway(key, "gw-a", 1, kRun, 1, 0, poison(200'000)),
      test::sealAsGateway(key, "gw-a", 1, kRun, 1, 1, poison(100'000))};
  MESSAGE("poison batches sealed: ", poisons[0].size(), " and ", poisons[1].size(), " bytes");
  CHECK(poisons[0].size() < 20000);
  // Sent as a gateway resends what is not acknowledged.
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (const auto& p : poisons) REQUIRE(probe.publish(topics::up("gw-a"), p, 1));
  }
  bool dead = waitFor(
      [&] {
        std::lock_guard lock(mutex);
        return rejected == std::set<std::uint64_t>{0, 1};
      },
      60s);
  INFO(ingest->log());
  REQUIRE(dead);
  // The ingester is up and the honest gateway's readings are stored meanwhile and after.
  REQUIRE(run(sys.simArgs("run", 2000, 10, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw-b").count == 2000; }, 60s));
  CHECK(ingest->running());
  CHECK(sys.count("gw-a").count == 0);
  {
    std::lock_guard lock(mutex);
    CHECK(stored.empty());
  }
  std::string metrics = sys.metrics(api);
  INFO(metrics);
  CHECK(metric(metrics,
               "dots_ingest_batches_total{environment=\"default\",outcome=\"dead-lettered\"}") ==
        2);
  CHECK(metric(metrics,
               "dots_ingest_rejected_total{environment=\"default\",reason=\"oversize\"}") == 6);
  CHECK(queryLong(sys.data() + "/store.db",
                  "SELECT count(*) FROM dead_letters WHERE gateway='gw-a' AND reason='oversize'") ==
        2);
  long rss_after = peakRssKiB(ingest->pid());
  MESSAGE("ingester peak RSS: ", rss_before, " KiB before the poison batches, ", rss_after,
          " KiB after");
  CHECK(rss_after - rss_before < 64 * 1024);
  CHECK(ingest->log().find("dead-lettered batch") != std::string::npos);
}

TEST_CASE("attack: a spool lost on a board whose clock restarts at the same time loses nothing") {
  System sys;
  auto config = sys.provision("gw1");
  auto ingest = sys.startIngest();
  // The gateway's wall clock starts at the same second at each start, as after a reboot of a
  // board without a real-time clock; with an empty spool, each start reserves the same epoch.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  std::vector<std::string> argv{
      "env",
      std::string("LD_PRELOAD=") + DOTS_FIXED_CLOCK_LIB,
      "DOTS_FIXED_CLOCK_S=1767225600",
      "ASAN_OPTIONS=" + asan + (asan.empty() ? "" : ":") + "verify_asan_link_order=0",
      DOTS_GATEWAY_BIN,
      "--config",
      config};
  auto startGateway = [&](const std::string& log) {
    auto p = std::make_unique<Process>(argv, sys.path(log));
    bool up = waitFor(
        [&] {
          std::string text = p->log();
          return text.find("input: connected") != std::string::npos &&
                 text.find("uplink: connected") != std::string::npos;
        },
        20s);
    INFO(p->log());
    REQUIRE(up);
    return p;
  };

  auto first = startGateway("gateway-1.log");
  REQUIRE(run(sys.simArgs("one", 500, 5, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 500; }, 60s));
  REQUIRE(waitFor([&] { return spoolReadings(sys.spoolPath("gw1")) == 0; }, 30s));
  REQUIRE(first->stop() == 0);
  CHECK(first->log().find("epoch 1767225600 ") != std::string::npos);

  // The spool is lost (a reflash, a new card); the board boots to the same time.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove((sys.spoolPath("gw1") + suffix).c_str());
  }
  auto second = startGateway("gateway-2.log");
  CHECK(second->log().find("epoch 1767225600 ") != std::string::npos);
  REQUIRE(run(sys.simArgs("two", 500, 5, 0), sys.path(""), 60s).code == 0);
  bool all = waitFor([&] { return sys.count("gw1").count == 1000; }, 60s);
  INFO(ingest->log());
  REQUIRE(all);
  CHECK(sys.count("gw1").distinct == 1000);
  std::vector<std::string> sent = System::sent(sys.path("one-sent.csv"));
  std::vector<std::string> more = System::sent(sys.path("two-sent.csv"));
  sent.insert(sent.end(), more.begin(), more.end());
  std::sort(sent.begin(), sent.end());
  CHECK(sys.stored("gw1") == sent);

  // The two runs did use the same (epoch, seq) pairs, under two runs and so two keys: no nonce
  // was used twice under one key, and no batch was taken for another's duplicate.
  std::string store = sys.data() + "/store.db";
  CHECK(queryLong(store, "SELECT count(DISTINCT run) FROM batches WHERE gateway='gw1'") == 2);
  CHECK(queryLong(store,
                  "SELECT count(*) FROM (SELECT epoch, seq FROM batches WHERE gateway='gw1' "
                  "GROUP BY epoch, seq HAVING count(*) = 2)") > 0);
  CHECK(queryLong(store,
                  "SELECT count(*) FROM (SELECT run, epoch, seq FROM batches GROUP BY "
                  "run, epoch, seq HAVING count(*) > 1)") == 0);
  std::string metrics_log = ingest->log();
  CHECK(metrics_log.find("duplicate") == std::string::npos);
}
