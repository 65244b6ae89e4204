// The retention pass of the SQLite store (SqliteWriter::prune), its schedule, and the
// registry's retention settings.
#include <doctest/doctest.h>

#include "cloud/ingest/retention_schedule.h"
#include "cloud/registry/registry.h"
#include "cloud/store/sqlite/sqlite_outbox.h"
#include "cloud/store/sqlite/sqlite_queries.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "shared/sqlite/database.h"
#include "shared/time/clock.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;
using namespace dots::cloud::sqlite_store;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t kDayMs = 86'400'000;

std::vector<Reading> readingsAt(std::int64_t t0, int n) {
  std::vector<Reading> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        {"s" + std::to_string(i % 3), "Cel", t0 + i, ValueKind::kNumber, 1.0 * i, "", {}});
  }
  return out;
}

// One group that stores `blocks` blocks of 4 readings for `channel`.
void storeBlocks(SqliteWriter& w, std::int64_t channel, int blocks) {
  REQUIRE(w.begin());
  for (int b = 0; b < blocks; ++b)
    REQUIRE(w.storeReadings(channel, "gw", readingsAt(b * 10, 4), false));
  REQUIRE(w.commit());
}

// Another connection's view of the store file, as a test edits and inspects it.
struct Inspector {
  sqlite::Database db;
  explicit Inspector(const std::string& dir)
      : db(std::move(*sqlite::Database::open(dir + "/store.db"))) {}
  long value(const std::string& sql) {
    auto st = db.prepare(sql);
    REQUIRE(st.has_value());
    auto row = st->step();
    REQUIRE(row.has_value());
    REQUIRE(*row);
    return static_cast<long>(st->int64(0));
  }
  void exec(const std::string& sql) { REQUIRE(db.exec(sql)); }
};
}  // namespace

TEST_CASE("retention: a pass deletes expired reading blocks in bounded batches, per channel") {
  test::TempDir dir;
  auto writer = SqliteWriter::open(dir.str());
  REQUIRE(writer.has_value());
  SqliteWriter& w = **writer;
  Inspector store(dir.str());
  const std::int64_t now = wallMillis();
  storeBlocks(w, 1, 25);  // channel 1: 25 blocks, made 10 days old below
  storeBlocks(w, 1, 5);   // channel 1: 5 blocks of today
  storeBlocks(w, 2, 6);   // channel 2: 10 days old, but kept 20 days
  storeBlocks(w, 3, 4);   // channel 3: 10 days old, kept forever
  store.exec("UPDATE reading_blocks SET stored_ms = stored_ms - " + std::to_string(10 * kDayMs) +
             " WHERE id <= 25 OR channel_id IN (2, 3)");
  std::vector<ChannelRetention> channels{
      {1, 5 * kDayMs, 0, 0}, {2, 20 * kDayMs, 0, 0}, {3, 0, 0, 0}};

  // 25 expired blocks, at most 10 rows a pass: 10, 10, then the last 5 and done.
  std::vector<std::uint64_t> deleted;
  std::vector<bool> more;
  for (int pass = 0; pass < 3; ++pass) {
    auto counts = w.prune(channels, 0, now, 10);
    REQUIRE(counts.has_value());
    deleted.push_back(counts->reading_blocks);
    more.push_back(counts->more);
    CHECK(counts->readings == counts->reading_blocks * 4);
  }
  CHECK(deleted == std::vector<std::uint64_t>{10, 10, 5});
  CHECK(more == std::vector<bool>{true, true, false});
  CHECK(w.prune(channels, 0, now, 10)->rows() == 0);
  CHECK(store.value("SELECT count(*) FROM reading_blocks WHERE channel_id = 1") == 5);
  CHECK(store.value("SELECT min(id) FROM reading_blocks WHERE channel_id = 1") == 26);  // today's
  CHECK(store.value("SELECT count(*) FROM reading_blocks WHERE channel_id = 2") == 6);
  CHECK(store.value("SELECT count(*) FROM reading_blocks WHERE channel_id = 3") == 4);
  // A channel the pass is not told about is left alone; so is one whose retention is 0.
  CHECK(w.prune(std::vector<ChannelRetention>{{2, 0, 0, 0}}, 0, now + 30 * kDayMs, 100)->rows() ==
        0);
  CHECK(store.value("SELECT count(*) FROM reading_blocks") == 15);
  auto queries = SqliteQueries::open(dir.str());
  REQUIRE(queries.has_value());
  CHECK((*queries)->count({})->count == 60);

  // Not inside a group's transaction.
  REQUIRE(w.begin());
  auto inside = w.prune(channels, 0, now, 10);
  CHECK_FALSE(inside.has_value());
  w.rollback();
}

TEST_CASE("retention: deleted pages are reused, so the file stops growing") {
  test::TempDir dir;
  auto writer = SqliteWriter::open(dir.str());
  REQUIRE(writer.has_value());
  SqliteWriter& w = **writer;
  Inspector store(dir.str());
  std::vector<ChannelRetention> channels{{1, 1, 0, 0}};  // everything 1 ms after it was stored
  long pages_after_first = 0;
  for (int round = 0; round < 4; ++round) {
    storeBlocks(w, 1, 400);
    store.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    long pages = store.value("PRAGMA page_count");
    if (round == 0) pages_after_first = pages;
    INFO("round ", round, ": ", pages, " pages, ", store.value("PRAGMA freelist_count"), " free");
    CHECK(pages <= pages_after_first + 2);  // the freed pages took the new blocks
    for (bool more = true; more;) {
      auto counts = w.prune(channels, 0, wallMillis() + 1000, 150);
      REQUIRE(counts.has_value());
      more = counts->more;
    }
    CHECK(store.value("SELECT count(*) FROM reading_blocks") == 0);
    CHECK(store.value("PRAGMA freelist_count") > 0);
  }
}

TEST_CASE("retention: aggregate windows expire once they ended, alerts by their store time") {
  test::TempDir dir;
  auto writer = SqliteWriter::open(dir.str());
  REQUIRE(writer.has_value());
  SqliteWriter& w = **writer;
  Inspector store(dir.str());
  const std::int64_t now = 100 * kDayMs;
  const std::int64_t hour = 3'600'000;
  // Windows of one hour at 90 days (old), at 99 days - 30 min (ends inside the period: kept) and
  // today, for channel 1 (7 days) and channel 2 (forever).
  std::vector<AggregateDelta> deltas;
  for (std::int64_t start : {90 * kDayMs, 93 * kDayMs - hour / 2, 99 * kDayMs}) {
    deltas.push_back({"s1", "Cel", start, hour, 1, 1.0, 1.0, 1.0, 1.0});
  }
  REQUIRE(w.begin());
  REQUIRE(w.mergeAggregates(1, "gw", deltas));
  REQUIRE(w.mergeAggregates(2, "gw", deltas));
  for (int i = 0; i < 3; ++i) {
    Alert a{"threshold", "raised", "gw", "s1", "hot", 90.0, now, false};
    REQUIRE(w.recordAlert(1, "acme", "c1", a));
    REQUIRE(w.recordAlert(2, "acme", "c2", a));
  }
  REQUIRE(w.commit());
  REQUIRE(w.foldAggregates());
  store.exec("UPDATE alerts SET created_ms = " + std::to_string(now - 10 * kDayMs) +
             " WHERE id <= 4");  // channel 1's first two, channel 2's first two
  std::vector<ChannelRetention> channels{{1, 0, 7 * kDayMs, 7 * kDayMs}, {2, 0, 0, 0}};
  auto counts = w.prune(channels, 0, now, 1000);
  REQUIRE(counts.has_value());
  CHECK(counts->aggregates == 1);
  CHECK(counts->alerts == 2);
  CHECK(store.value("SELECT count(*) FROM aggregates WHERE channel_id = 1") == 2);
  CHECK(store.value("SELECT min(window_start_ms) FROM aggregates WHERE channel_id = 1") ==
        93 * kDayMs - hour / 2);
  CHECK(store.value("SELECT count(*) FROM aggregates WHERE channel_id = 2") == 3);
  CHECK(store.value("SELECT count(*) FROM alerts WHERE channel_id = 1") == 1);
  CHECK(store.value("SELECT count(*) FROM alerts WHERE channel_id = 2") == 3);
}

TEST_CASE("retention: delivered outbox rows go after an hour, failed ones after a week") {
  test::TempDir dir;
  auto writer = SqliteWriter::open(dir.str());
  REQUIRE(writer.has_value());
  auto outbox = SqliteOutbox::open(dir.str());
  REQUIRE(outbox.has_value());
  SqliteWriter& w = **writer;
  Inspector store(dir.str());
  REQUIRE(w.begin());
  for (int i = 0; i < 3; ++i) REQUIRE(w.enqueueDelivery(1, "mqtt", "dots/v1/alerts/acme/c", "{}"));
  REQUIRE(w.commit());
  REQUIRE((*outbox)->markDelivered(1));
  REQUIRE((*outbox)->markAttempt(2, 5, -1, "gave up"));  // failed; row 3 stays pending
  const std::int64_t now = wallMillis();
  CHECK(w.prune({}, 0, now + 60'000, 100)->outbox == 0);  // within the grace
  CHECK(w.prune({}, 0, now + 2 * StorePruner::kDeliveredGraceMs, 100)->outbox == 1);
  CHECK(store.value("SELECT count(*) FROM outbox WHERE state = 'delivered'") == 0);
  CHECK(w.prune({}, 0, now + StorePruner::kFailedGraceMs + 60'000, 100)->outbox == 1);
  CHECK(store.value("SELECT count(*) FROM outbox") == 1);
  CHECK(store.value("SELECT id FROM outbox WHERE state = 'pending'") == 3);
  CHECK(w.prune({}, 0, now + 1000 * kDayMs, 100)->outbox == 0);  // pending is never pruned
}

TEST_CASE("retention: the schedule runs a pass at start, each interval, and at once while more") {
  RetentionSchedule s(60s);
  auto t0 = SteadyClock::now();
  CHECK(s.due(t0));
  s.ran(t0, false);
  CHECK_FALSE(s.due(t0 + 59s));
  CHECK(s.due(t0 + 60s));
  s.ran(t0 + 60s, true);  // stopped at its budget
  CHECK(s.due(t0 + 60s));
  s.failed(t0 + 61s);
  CHECK_FALSE(s.due(t0 + 61s));
  CHECK(s.due(t0 + 121s));
}

TEST_CASE("retention: durations as dotsctl takes them") {
  CHECK(*parseRetention("30d") == 30 * 86400);
  CHECK(*parseRetention("12h") == 12 * 3600);
  CHECK(*parseRetention("90m") == 5400);
  CHECK(*parseRetention("45s") == 45);
  CHECK(*parseRetention("0") == 0);
  for (const char* bad : {"", "30", "d", "-1d", "1.5d", "30w", "40000d", "3 d"}) {
    INFO(bad);
    CHECK(parseRetention(bad).error().reason == "bad-retention");
  }
  CHECK(formatRetention(30 * 86400) == "30d");
  CHECK(formatRetention(5400) == "90m");
  CHECK(formatRetention(7200) == "2h");
  CHECK(formatRetention(61) == "61s");
  CHECK(formatRetention(0) == "0");
}

TEST_CASE("registry: a channel's retention, defaults until set, one kind at a time") {
  test::TempDir dir;
  auto reg = Registry::open(dir.str());
  REQUIRE(reg.has_value());
  Registry& r = **reg;
  REQUIRE(r.addAccount("acme"));
  REQUIRE(r.addChannel("acme", "c", "default", {"store"}));
  CHECK(r.channels()->at(0).retention == Retention{});
  auto set = r.setRetention("acme", "c", {3600, std::nullopt, 0});
  REQUIRE(set.has_value());
  CHECK(set->retention == Retention{3600, Retention::kDefaultAggregates, 0});
  REQUIRE(r.setRetention("acme", "c", {std::nullopt, 86400, std::nullopt}));
  CHECK(r.channels()->at(0).retention == Retention{3600, 86400, 0});
  CHECK(r.setRetention("acme", "nope", {1, 1, 1}).error().reason == "no-such-channel");
  CHECK(r.setRetention("acme", "c", {-1, {}, {}}).error().reason == "bad-retention");
  // Another connection (dots-ingest) sees the change through data_version.
  auto other = Registry::open(dir.str());
  REQUIRE(other.has_value());
  auto before = (*other)->dataVersion();
  REQUIRE(before.has_value());
  REQUIRE(r.setRetention("acme", "c", {7200, {}, {}}));
  CHECK(*(*other)->dataVersion() != *before);
  CHECK((*other)->channels()->at(0).retention.readings_s == 7200);
}

TEST_CASE("retention: the ledger is pruned to its window, a run's replay floor refuses the rest") {
  test::TempDir dir;
  auto writer = SqliteWriter::open(dir.str());
  REQUIRE(writer.has_value());
  SqliteWriter& w = **writer;
  Inspector store(dir.str());
  using Recorded = BatchWriter::Recorded;
  const std::vector<std::uint8_t> digest(16, 0xab);
  auto record = [&](const std::string& gw, codec::BatchId id) {
    REQUIRE(w.begin());
    auto was = w.recordBatch(gw, id, digest, 1, false);
    REQUIRE(was.has_value());
    REQUIRE(w.commit());
    return *was;
  };
  // Run 7 of gw-a: seqs 1-6 (epoch 3), stored 40 days ago but seq 5, which came late (today).
  for (std::uint64_t seq : {1, 2, 3, 4, 6}) CHECK(record("gw-a", {7, 3, seq}) == Recorded::kFresh);
  CHECK(record("gw-b", {7, 3, 2}) == Recorded::kFresh);  // another gateway, the same key
  store.exec("UPDATE batches SET stored_ms = stored_ms - " + std::to_string(40 * kDayMs));
  CHECK(record("gw-a", {7, 3, 5}) == Recorded::kFresh);
  CHECK(record("gw-a", {9, 1, 1}) == Recorded::kFresh);  // a later run, today

  const std::int64_t now = wallMillis();
  // Kept for good (0), nothing goes; within a budget of 4 rows, the oldest 4 go.
  CHECK(w.prune({}, 0, now, 100)->ledger == 0);
  auto first = w.prune({}, 30 * kDayMs, now, 4);
  REQUIRE(first.has_value());
  CHECK(first->ledger == 4);
  CHECK(first->more);
  auto second = w.prune({}, 30 * kDayMs, now, 100);
  REQUIRE(second.has_value());
  CHECK(second->ledger == 2);
  CHECK_FALSE(second->more);
  CHECK(store.value("SELECT count(*) FROM batches") == 2);  // gw-a's seq 5 and run 9
  CHECK(store.value("SELECT count(*) FROM replay_floors") == 2);
  CHECK(store.value("SELECT seq FROM replay_floors WHERE gateway = 'gw-a'") == 6);
  CHECK(store.value("SELECT epoch FROM replay_floors WHERE gateway = 'gw-a'") == 3);

  // Under the floor: refused and not recorded, however often it comes.
  for (std::uint64_t seq : {1, 4, 6}) CHECK(record("gw-a", {7, 3, seq}) == Recorded::kTooOld);
  CHECK(record("gw-a", {7, 2, 99}) == Recorded::kTooOld);  // an earlier epoch of the run
  CHECK(record("gw-b", {7, 3, 1}) == Recorded::kTooOld);
  // Still in the ledger although under the floor: a resend, as before.
  CHECK(record("gw-a", {7, 3, 5}) == Recorded::kDuplicate);
  // Above the floor, another run, another gateway: new.
  CHECK(record("gw-a", {7, 3, 7}) == Recorded::kFresh);
  CHECK(record("gw-a", {7, 4, 1}) == Recorded::kFresh);
  CHECK(record("gw-a", {8, 3, 1}) == Recorded::kFresh);
  CHECK(record("gw-c", {7, 3, 1}) == Recorded::kFresh);
  CHECK(record("gw-a", {9, 1, 1}) == Recorded::kDuplicate);
  CHECK(store.value("SELECT count(*) FROM batches") == 6);

  // The floor never falls: a pass over older keys of the run leaves it where it is.
  store.exec(
      "INSERT INTO batches(gateway, run, epoch, seq, readings, stored_ms, historical) "
      "VALUES('gw-a', 7, 3, 2, 1, 0, 0)");
  CHECK(w.prune({}, 30 * kDayMs, now, 100)->ledger == 1);
  CHECK(store.value("SELECT seq FROM replay_floors WHERE gateway = 'gw-a'") == 6);
  // And the floors outlive the writer.
  writer->reset();
  auto reopened = SqliteWriter::open(dir.str());
  REQUIRE(reopened.has_value());
  REQUIRE((*reopened)->begin());
  CHECK((*reopened)->recordBatch("gw-a", {7, 3, 3}, digest, 1, false) == Recorded::kTooOld);
  REQUIRE((*reopened)->commit());
}
