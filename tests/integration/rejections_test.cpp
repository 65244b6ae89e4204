// Every way a batch can be refused by dots-ingest, with a real broker: each is counted by
// reason, nothing refused is stored or acknowledged, and the ingester keeps serving.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <regex>
#include <set>

#include "shared/codec/ack_codec.h"
#include "shared/codec/batch_codec.h"
#include "shared/mqtt/client.h"
#include "shared/seal/envelope.h"
#include "shared/text/hex.h"
#include "shared/topics/topics.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"
#include "tests/support/sealing.h"

using namespace dots;
using namespace dots::itest;

namespace {
// The run these tests seal under, as one run of a gateway.
constexpr std::uint64_t kRun = 0x5eed;

std::vector<std::uint8_t> sealedBatch(const seal::Key& key, const std::string& gw,
                                      std::uint32_t epoch, std::uint64_t seq, int readings,
                                      std::uint32_t key_id = 1) {
  Batch b;
  for (int i = 0; i < readings; ++i) {
    b.readings.push_back({"probe",
                          "Cel",
                          1700000000000 + static_cast<std::int64_t>(seq) * 1000 + i,
                          ValueKind::kNumber,
                          static_cast<double>(i),
                          "",
                          {}});
  }
  return test::sealAsGateway(key, gw, key_id, kRun, epoch, seq, b);
}
// A client on the broker that collects the sequence numbers acknowledged to gw-a in `epoch`.
struct AckWatcher {
  AckWatcher(System& sys, std::uint32_t epoch, const seal::Key& key)
      : client(options(sys)), ack_key(seal::deriveKey(key, seal::Purpose::kAck, "gw-a", 1)) {
    client.subscribe(topics::ack("gw-a"), 1);
    client.onMessage([this, epoch](std::string_view, std::span<const std::uint8_t> payload) {
      auto ack = codec::decodeAck(payload, "gw-a", 1, ack_key);
      if (!ack) return;
      std::lock_guard lock(mutex);
      for (const auto& r : ack->stored) {
        for (std::uint64_t q = r.first; q <= r.last && r.epoch == epoch; ++q) acked.insert(q);
      }
      for (const auto& r : ack->rejected) {
        for (std::uint64_t q = r.first; q <= r.last && r.epoch == epoch; ++q) refused.insert(q);
      }
    });
    client.start();
  }
  static mqtt::ClientOptions options(System& sys) {
    mqtt::ClientOptions o;
    o.uri = sys.broker().uri();
    o.client_id = "probe";
    o.max_inflight = 1000;
    return o;
  }
  std::set<std::uint64_t> seqs() {
    std::lock_guard lock(mutex);
    return acked;
  }
  std::set<std::uint64_t> rejected() {
    std::lock_guard lock(mutex);
    return refused;
  }
  mqtt::Client client;
  seal::Key ack_key;
  std::mutex mutex;
  std::set<std::uint64_t> acked;
  std::set<std::uint64_t> refused;  // told to drop
};
}  // namespace

TEST_CASE("ingest: rejections are counted by reason, duplicates stored once, others served") {
  System sys;
  auto cfg_a = sys.provision("gw-a");
  auto cfg_b = sys.provision("gw-b");
  seal::Key key_a = keyOf(cfg_a);
  seal::Key key_b = keyOf(cfg_b);
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);

  AckWatcher acks(sys, 5, key_a);
  mqtt::Client& client = acks.client;
  REQUIRE(client.waitConnected(10s));

  auto good = sealedBatch(key_a, "gw-a", 5, 1, 10);
  REQUIRE(client.publish(topics::up("gw-a"), good, 1));
  REQUIRE(client.publish(topics::up("gw-a"), good, 1));  // duplicate
  REQUIRE(client.publish(topics::up("gw-zz"), sealedBatch(key_a, "gw-zz", 5, 1, 3),
                         1));  // unknown-gateway
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key_b, "gw-a", 5, 2, 3), 1));  // bad-tag
  REQUIRE(client.publish(topics::up("gw-b"), sealedBatch(key_a, "gw-a", 5, 3, 3),
                         1));  // gateway-mismatch
  REQUIRE(client.publish(topics::up("gw-a"), std::string_view("{\"not\":\"a batch\"}"),
                         1));  // malformed
  auto tampered = sealedBatch(key_a, "gw-a", 5, 4, 3);
  {
    auto view = seal::readEnvelope(tampered);
    REQUIRE(view.has_value());
    tampered[static_cast<std::size_t>(view->ciphertext.data() - tampered.data()) + 2] ^= 0x40;
  }
  REQUIRE(client.publish(topics::up("gw-a"), tampered, 1));  // bad-tag
  // A batch of readings that are not a valid FlatBuffer inside a valid seal.
  {
    std::vector<std::uint8_t> junk(64, 0x11);
    REQUIRE(client.publish(topics::up("gw-a"),
                           test::sealAsGateway(key_a, "gw-a", 1, kRun, 5, 5, junk, false), 1));
  }
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key_a, "gw-a", 5, 7, 3, 9),
                         1));                             // unknown-key
  REQUIRE(client.publish("dots/v1/gw-a/b/up", good, 1));  // bad-topic
  // Everything above is judged before the registry changes below.
  REQUIRE(waitFor(
      [&] {
        std::string log = ingest->log();
        return log.find("gateway-mismatch") != std::string::npos &&
               log.find("unknown-key") != std::string::npos &&
               log.find("2 malformed so far") != std::string::npos &&
               log.find("2 bad-tag so far") != std::string::npos;
      },
      20s));
  sys.ctl({"endpoint", "disable", "--gateway", "gw-b"});
  // The running ingester sees the change without a restart.
  REQUIRE(waitFor(
      [&] {
        (void)client.publish(topics::up("gw-b"), sealedBatch(key_b, "gw-b", 5, 9, 1), 1);
        return ingest->log().find("disabled-endpoint") != std::string::npos;
      },
      20s));
  // And still serves everyone else.
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key_a, "gw-a", 5, 6, 4), 1));

  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 14; }, 20s));
  // Acknowledged: the good batch (and again its duplicate) and seq 6; nothing rejected.
  REQUIRE(waitFor(
      [&] {
        auto seqs = acks.seqs();
        return seqs.count(1) == 1 && seqs.count(6) == 1;
      },
      20s));
  CHECK(acks.seqs() == std::set<std::uint64_t>{1, 6});
  CHECK(sys.count("gw-a").distinct == 14);
  CHECK(sys.count("gw-b").count == 0);
  CHECK(sys.count("gw-zz").count == 0);

  // Every rejection path is counted in /metrics by reason.
  std::string metrics = sys.metrics(api);
  INFO(metrics);
  auto rejected = [&](const std::string& reason) {
    return metric(metrics,
                  "dots_ingest_rejected_total{environment=\"default\",reason=\"" + reason + "\"}");
  };
  CHECK(rejected("unknown-gateway") == 1);
  CHECK(rejected("bad-tag") == 2);
  CHECK(rejected("gateway-mismatch") == 1);
  CHECK(rejected("malformed") == 2);
  CHECK(rejected("unknown-key") == 1);
  CHECK(rejected("disabled-endpoint") >= 1);
  CHECK(metric(metrics,
               "dots_ingest_batches_total{environment=\"default\",outcome=\"duplicate\"}") == 1);
  CHECK(metric(metrics, "dots_ingest_batches_total{environment=\"default\",outcome=\"stored\"}") ==
        2);
  CHECK(metric(metrics, "dots_endpoint_readings_total{gateway=\"gw-a\"}") == 14);

  REQUIRE(ingest->stop() == 0);
  std::string log = ingest->log();
  INFO(log);
  std::smatch m;
  REQUIRE(std::regex_search(log, m, std::regex("final: 14 readings stored in 2 batches.*")));
  std::string final_line = m[0];
  CHECK(final_line.find("bad-tag=2") != std::string::npos);
  CHECK(final_line.find("duplicate=1") != std::string::npos);
  CHECK(final_line.find("unknown-gateway=1") != std::string::npos);
  CHECK(final_line.find("gateway-mismatch=1") != std::string::npos);
  CHECK(final_line.find("malformed=2") != std::string::npos);
  CHECK(final_line.find("bad-topic") == std::string::npos);  // not subscribed: never arrives
  CHECK(final_line.find("disabled-endpoint=") != std::string::npos);
  CHECK(log.find("rejected batch on dots/v1/gw-zz/up: unknown-gateway") != std::string::npos);
}

TEST_CASE("ingest: replays (a duplicate, an old sequence, a reused sequence) and oversize") {
  System sys;
  auto cfg = sys.provision("gw-a");
  seal::Key key = keyOf(cfg);
  auto ingest = sys.startIngest("ingest-1.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  mqtt::ClientOptions o;
  o.uri = sys.broker().uri();
  o.client_id = "probe";
  mqtt::Client client(o);
  client.start();
  REQUIRE(client.waitConnected(10s));
  auto counter = [&](int port, const std::string& name) { return metric(sys.metrics(port), name); };
  const std::string duplicates =
      "dots_ingest_batches_total{environment=\"default\",outcome=\"duplicate\"}";

  std::vector<std::vector<std::uint8_t>> sent;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    sent.push_back(sealedBatch(key, "gw-a", 7, seq, 3));
    REQUIRE(client.publish(topics::up("gw-a"), sent.back(), 1));
  }
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 15; }, 20s));
  std::vector<std::string> before = sys.stored("gw-a");

  // An old sequence number again, byte for byte (a duplicate); then the same (run, epoch, seq)
  // sealed validly over other readings (a conflict: only the key's holder can do it, and a
  // gateway never reuses a run).
  const std::string conflicts =
      "dots_ingest_rejected_total{environment=\"default\",reason=\"conflict\"}";
  REQUIRE(client.publish(topics::up("gw-a"), sent[1], 1));
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key, "gw-a", 7, 3, 9), 1));
  REQUIRE(
      waitFor([&] { return counter(api, duplicates) == 1 && counter(api, conflicts) == 1; }, 20s));

  // The ledger is durable: after a kill -9 the same replays are still refused.
  ingest->signal(SIGKILL);
  REQUIRE(ingest->wait(10s) == 128 + SIGKILL);
  ingest = sys.startIngest("ingest-2.log", {"--http", "127.0.0.1:0"});
  api = httpPortOf(*ingest);
  REQUIRE(client.publish(topics::up("gw-a"), sent[0], 1));
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key, "gw-a", 7, 5, 9), 1));
  // Oversize: a message beyond the envelope limit (4 MiB) is refused before any parsing.
  std::vector<std::uint8_t> huge(seal::kMaxEnvelopeBytes + 1, 0x5a);
  REQUIRE(client.publish(topics::up("gw-a"), huge, 1));
  // And the next epoch is served.
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key, "gw-a", 8, 0, 2), 1));
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 17; }, 20s));
  REQUIRE(
      waitFor([&] { return counter(api, duplicates) == 1 && counter(api, conflicts) == 1; }, 20s));
  std::string metrics = sys.metrics(api);
  INFO(metrics);
  CHECK(metric(metrics,
               "dots_ingest_rejected_total{environment=\"default\",reason=\"oversize\"}") == 1);
  // Nothing a replay carried was stored; the first readings of each sequence stand.
  std::vector<std::string> after = sys.stored("gw-a");
  CHECK(sys.count("gw-a").distinct == 17);
  for (const std::string& line : before) {
    CHECK(std::find(after.begin(), after.end(), line) != after.end());
  }
  CHECK(ingest->log().find("oversize") != std::string::npos);
}

TEST_CASE("ingest: a full queue holds the broker back, and every batch is still stored and acked") {
  System sys;
  seal::Key key = keyOf(sys.provision("gw-a"));
  // A queue of 2 opened batches: the MQTT thread waits for room nearly all the time, while the
  // worker commits and acknowledges.
  auto ingest = sys.startIngest("ingest.log", {"--queue-limit", "2"});
  AckWatcher acks(sys, 3, key);
  mqtt::Client& client = acks.client;
  REQUIRE(client.waitConnected(10s));
  constexpr std::uint64_t kBatches = 400;
  for (std::uint64_t seq = 0; seq < kBatches; ++seq) {
    REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key, "gw-a", 3, seq, 5), 1));
  }
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == kBatches * 5; }, 60s));
  REQUIRE(waitFor([&] { return acks.seqs().size() == kBatches; }, 30s));
  CHECK(sys.count("gw-a").distinct == kBatches * 5);
  client.stop();
  ingest->signal(SIGTERM);
  CHECK(ingest->wait(20s) == 0);
}

TEST_CASE("ingest: a replay under the pruned ledger's floor is refused as replay-too-old") {
  System sys;
  auto cfg = sys.provision("gw-a");
  seal::Key key = keyOf(cfg);
  // A ledger window of 0.2 s, looked after every 50 ms: keys leave the ledger almost at once.
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0", "--ledger-window", "0.2",
                                               "--retention-interval", "0.05"});
  int api = httpPortOf(*ingest);
  AckWatcher acks(sys, 7, key);
  REQUIRE(acks.client.waitConnected(10s));
  mqtt::ClientOptions o;
  o.uri = sys.broker().uri();
  o.client_id = "replayer";
  mqtt::Client client(o);
  client.start();
  REQUIRE(client.waitConnected(10s));
  auto counter = [&](const std::string& name) { return metric(sys.metrics(api), name); };
  const std::string pruned = "dots_store_pruned_total{environment=\"default\",kind=\"ledger\"}";
  const std::string too_old =
      "dots_ingest_rejected_total{environment=\"default\",reason=\"replay-too-old\"}";

  std::vector<std::vector<std::uint8_t>> sent;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    sent.push_back(sealedBatch(key, "gw-a", 7, seq, 3));
    REQUIRE(client.publish(topics::up("gw-a"), sent.back(), 1));
  }
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 9; }, 20s));
  REQUIRE(waitFor([&] { return acks.seqs().size() == 3; }, 20s));
  REQUIRE(waitFor([&] { return counter(pruned) >= 3; }, 20s));

  // The keys are gone from the ledger; the replays are refused by the run's floor, and the
  // gateway is told to drop them. A new sequence above the floor is stored.
  REQUIRE(client.publish(topics::up("gw-a"), sent[0], 1));
  REQUIRE(client.publish(topics::up("gw-a"), sent[2], 1));
  REQUIRE(client.publish(topics::up("gw-a"), sealedBatch(key, "gw-a", 7, 4, 3), 1));
  REQUIRE(waitFor([&] { return counter(too_old) == 2; }, 20s));
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 12; }, 20s));
  REQUIRE(waitFor([&] { return acks.rejected() == std::set<std::uint64_t>{1, 3}; }, 20s));
  CHECK(sys.count("gw-a").distinct == 12);

  // The floor is durable: after a kill -9 the replay is still refused, nothing stored twice.
  ingest->signal(SIGKILL);
  REQUIRE(ingest->wait(10s) == 128 + SIGKILL);
  ingest = sys.startIngest("ingest-2.log", {"--http", "127.0.0.1:0", "--ledger-window", "0.2",
                                            "--retention-interval", "0.05"});
  api = httpPortOf(*ingest);
  REQUIRE(client.publish(topics::up("gw-a"), sent[1], 1));
  REQUIRE(waitFor([&] { return counter(too_old) == 1; }, 20s));
  CHECK(sys.count("gw-a").count == 12);
  CHECK(sys.count("gw-a").distinct == 12);
  CHECK(ingest->log().find("replay-too-old") != std::string::npos);
}
