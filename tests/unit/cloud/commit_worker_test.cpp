#include "cloud/ingest/commit_worker.h"

#include <doctest/doctest.h>

#include <tuple>

#include "cloud/store/forwarding_writer.h"
#include "cloud/store/sqlite/sqlite_queries.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "shared/sqlite/database.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

namespace {

long queryLong(const std::string& path, const std::string& sql) {
  auto db = sqlite::Database::open(path).value();
  auto st = db.prepare(sql).value();
  REQUIRE(st.step().value());
  return static_cast<long>(st.int64(0));
}

// The SQLite writer with failures injected: the Nth commit, or the Nth storeReadings call,
// fails the way a full or broken disk would.
class FailingWriter final : public ForwardingWriter {
 public:
  explicit FailingWriter(BatchWriter& inner) : ForwardingWriter(inner) {}
  int fail_commit_at = 0;  // 1-based; 0: never
  int fail_store_at = 0;

  Result<void> commit() override {
    if (++commits_ == fail_commit_at) return fail("sqlite-full", "injected commit failure");
    return ForwardingWriter::commit();
  }
  Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                             std::span<const Reading> readings, bool historical) override {
    if (++stores_ == fail_store_at) return fail("sqlite-full", "injected write failure");
    return ForwardingWriter::storeReadings(channel_id, gateway, readings, historical);
  }

 private:
  int commits_ = 0;
  int stores_ = 0;
};

// Every stateful handler in one channel: a deadband filter, the store, aggregates, a threshold
// with hysteresis, the anomaly detector and notifications.
const std::vector<std::string> kHandlers = {
    "filter:deadband=0.5", "store", "aggregate:window_s=2", "threshold:above=50,hysteresis=5",
    "anomaly:warmup=5",    "notify"};

// Batch b of the stream: "t" sits at 20, jumps above 50 for batches 3 and 4, and comes back;
// "u" creeps up by 0.2 per reading (the deadband keeps every third).
IncomingBatch batch(std::uint64_t b) {
  IncomingBatch in;
  in.gateway = "gw";
  in.account = "acme";
  in.key_id = 1;
  in.id = {5, 1, b};
  in.digest.fill(static_cast<std::uint8_t>(b));
  in.ack_key = std::make_shared<const seal::Key>(seal::Key{});
  for (int i = 0; i < 10; ++i) {
    std::int64_t t = static_cast<std::int64_t>(b) * 1000 + i * 100;
    double level = (b == 3 || b == 4) ? 60 : 20;
    in.batch.readings.push_back({"t", "Cel", t, ValueKind::kNumber, level + (i % 3) * 0.6, "", {}});
    in.batch.readings.push_back(
        {"u", "%", t, ValueKind::kNumber, 10 + 0.2 * static_cast<double>(b * 10 + i), "", {}});
  }
  return in;
}

mqtt::ClientOptions unconnected() {
  mqtt::ClientOptions o;
  o.uri = "tcp://127.0.0.1:9";
  o.client_id = "commit-worker-test";
  return o;
}

// One ingester's commit path on a fresh data folder (the acker is never started: its acks
// stay queued).
struct Pipeline {
  test::TempDir dir;
  std::unique_ptr<Registry> registry = Registry::open(dir.str()).value();
  std::unique_ptr<sqlite_store::SqliteWriter> sqlite =
      sqlite_store::SqliteWriter::open(dir.str()).value();
  FailingWriter writer{*sqlite};
  mqtt::Client client{unconnected()};
  StatsBoard stats;
  IntakeQueue queue{16};
  Topology topology{*registry, "default"};
  Admitter admitter{"default"};
  Acker acker{client, stats};
  CommitWorker worker{CommitParts{queue,
                                  topology,
                                  admitter,
                                  writer,
                                  acker,
                                  stats,
                                  {},
                                  {},
                                  3,
                                  RateLimits{},
                                  nullptr,
                                  nullptr,
                                  std::chrono::milliseconds(60000),
                                  4000},
                      512, std::chrono::seconds(60)};

  Pipeline() {
    REQUIRE(registry->addAccount("acme"));
    REQUIRE(registry->addEndpoint("acme", "gw"));
    REQUIRE(registry->addChannel("acme", "all", "default", kHandlers));
    REQUIRE(registry->addRoute("gw", "acme", "all", "*"));
    REQUIRE(topology.refresh());
  }

  // Commits the batches as one group, as the gateway would send them.
  void send(const std::vector<std::uint64_t>& seqs) {
    std::vector<IncomingBatch> batches;
    for (std::uint64_t b : seqs) batches.push_back(batch(b));
    sendBatches(std::move(batches));
  }
  void sendBatches(std::vector<IncomingBatch> batches) {
    std::vector<IncomingMessage> group;
    for (IncomingBatch& b : batches) {
      GatewayMessage m;
      m.topic = "dots/v1/gw/up";
      m.payload = {1, 2, 3};
      m.admitted = std::move(b);
      m.admitted_with = topology.current();
      group.emplace_back(std::move(m));
    }
    worker.process(group);
  }
  std::uint64_t rejected(const std::string& reason) const {
    auto s = stats.snapshot();
    auto it = s.rejected.find(reason);
    return it == s.rejected.end() ? 0 : it->second;
  }
  std::uint64_t failures() const { return rejected("store-error"); }
};

// Everything the handlers wrote, in a comparable form.
struct Effects {
  std::vector<std::tuple<std::string, std::int64_t, double>> readings;
  std::vector<std::tuple<std::string, std::int64_t, std::uint64_t, double, double, double>>
      aggregates;
  std::vector<std::tuple<std::int64_t, std::string, std::string, std::string, double, std::int64_t>>
      alerts;
  std::vector<std::tuple<std::int64_t, std::string, std::string, std::string>> outbox;
  bool operator==(const Effects&) const = default;
};

Effects effectsOf(const std::string& dir) {
  Effects e;
  auto q = sqlite_store::SqliteQueries::open(dir).value();
  REQUIRE(q->forEach({}, [&](const StoredReading& r) {
    e.readings.emplace_back(r.reading.name, r.reading.time_ms, r.reading.value);
  }));
  auto aggregates = q->aggregates({}, 1000).value();
  for (const auto& a : aggregates) {
    e.aggregates.emplace_back(a.sensor, a.window_start_ms, a.count, a.min, a.max, a.mean);
  }
  auto alerts = q->alerts({}, 1000).value();
  for (const auto& a : alerts) {
    e.alerts.emplace_back(a.id, a.alert.kind, a.alert.state, a.alert.sensor, a.alert.value,
                          a.alert.time_ms);
  }
  auto db = sqlite::Database::open(dir + "/store.db").value();
  auto st = db.prepare("SELECT alert_id, target, address, payload FROM outbox ORDER BY id").value();
  while (st.step().value()) e.outbox.emplace_back(st.int64(0), st.text(1), st.text(2), st.text(3));
  return e;
}

Effects cleanRun() {
  Pipeline clean;
  for (std::uint64_t b = 0; b < 8; ++b) clean.send({b});
  CHECK(clean.failures() == 0);
  return effectsOf(clean.dir.str());
}

}  // namespace

TEST_CASE("commit worker: the clean run raises and clears the threshold, filters and notifies") {
  Effects clean = cleanRun();
  // Sanity of the reference itself, so an empty comparison cannot pass.
  std::size_t raised = 0;
  std::size_t cleared = 0;
  for (const auto& a : clean.alerts) {
    if (std::get<1>(a) == "threshold") (std::get<2>(a) == "raised" ? raised : cleared) += 1;
  }
  CHECK(raised == 1);
  CHECK(cleared == 1);
  CHECK(clean.readings.size() < 160);  // the deadband dropped some
  CHECK(clean.readings.size() > 40);
  CHECK(!clean.aggregates.empty());
  CHECK(clean.outbox.size() == clean.alerts.size());
}

TEST_CASE("commit worker: after a failed commit and the resend, the effects equal a clean run") {
  Effects clean = cleanRun();
  for (int failing_commit : {1, 4, 5, 6}) {  // the first batch, the raise, the plateau, the clear
    CAPTURE(failing_commit);
    Pipeline p;
    p.writer.fail_commit_at = failing_commit;
    for (std::uint64_t b = 0; b < 8; ++b) {
      p.send({b});
      if (static_cast<int>(b) + 1 == failing_commit) p.send({b});  // not acked: sent again
    }
    CHECK(p.failures() == 1);
    Effects e = effectsOf(p.dir.str());
    CHECK(e.readings == clean.readings);
    CHECK(e.aggregates == clean.aggregates);
    CHECK(e.alerts == clean.alerts);
    CHECK(e.outbox == clean.outbox);
  }
}

TEST_CASE("commit worker: a write failing in the middle of a group undoes every handler's state") {
  Effects clean = cleanRun();
  Pipeline p;
  p.send({0});
  p.send({1});
  // The group of batches 2-4 fails at its third block write (batch 4's), after batches 2 and 3
  // ran every handler and batch 3 raised the threshold; the gateway sends the group again.
  p.writer.fail_store_at = 2 + 3;
  p.send({2, 3, 4});
  CHECK(p.failures() == 1);
  p.send({2, 3, 4});
  for (std::uint64_t b = 5; b < 8; ++b) p.send({b});
  CHECK(effectsOf(p.dir.str()) == clean);
}

TEST_CASE(
    "commit worker: a different batch under a stored key is a conflict, alerted, not stored") {
  Pipeline p;
  p.send({0, 1});
  long stored = queryLong(p.dir.file("store.db"), "SELECT count(*) FROM reading_blocks");
  CHECK(stored > 0);
  // The same key as batch 1, another digest: a forgery with the key, or a gateway that reused it.
  IncomingBatch other = batch(1);
  other.digest.fill(0xee);
  p.sendBatches({other});
  CHECK(p.rejected("conflict") == 1);
  CHECK(queryLong(p.dir.file("store.db"), "SELECT count(*) FROM reading_blocks") == stored);
  CHECK(queryLong(p.dir.file("store.db"),
                  "SELECT count(*) FROM alerts WHERE kind='conflict' AND channel='_ingest' AND "
                  "account='acme' AND gateway='gw'") == 1);
  CHECK(queryLong(p.dir.file("store.db"),
                  "SELECT count(*) FROM outbox WHERE address='dots/v1/alerts/acme/_ingest'") == 1);
  // Sent again (it was not acknowledged): counted again, alerted once.
  p.sendBatches({other});
  CHECK(p.rejected("conflict") == 2);
  CHECK(queryLong(p.dir.file("store.db"), "SELECT count(*) FROM alerts WHERE kind='conflict'") ==
        1);
  // A true resend of batch 1 is a duplicate, not a conflict.
  p.send({1});
  CHECK(p.rejected("conflict") == 2);
  CHECK(p.stats.snapshot().duplicates == 1);
}

TEST_CASE("commit worker: an authentic batch refused three times is dead-lettered, once") {
  Pipeline p;
  IncomingBatch poison = batch(0);
  poison.batch.readings.clear();
  poison.refused = Error{"oversize", "series name of 65536 bytes"};
  for (int i = 0; i < 2; ++i) p.sendBatches({poison});
  CHECK(p.rejected("oversize") == 2);
  CHECK(queryLong(p.dir.file("store.db"), "SELECT count(*) FROM dead_letters") == 0);
  p.sendBatches({poison});
  CHECK(p.rejected("oversize") == 3);
  CHECK(p.stats.snapshot().dead_lettered == 1);
  CHECK(queryLong(p.dir.file("store.db"),
                  "SELECT count(*) FROM dead_letters WHERE gateway='gw' AND reason='oversize' AND "
                  "seq=0 AND length(envelope)=3") == 1);
  CHECK(queryLong(p.dir.file("store.db"),
                  "SELECT count(*) FROM batches WHERE state='dead-lettered'") == 1);
  // Sent again after that (the rejection ack was lost): refused without a second dead letter.
  for (int i = 0; i < 3; ++i) p.sendBatches({poison});
  CHECK(p.stats.snapshot().dead_lettered == 1);
  CHECK(queryLong(p.dir.file("store.db"), "SELECT count(*) FROM dead_letters") == 1);
  // The next batches are stored as usual.
  p.send({1});
  CHECK(p.stats.snapshot().batches_stored == 1);
}
