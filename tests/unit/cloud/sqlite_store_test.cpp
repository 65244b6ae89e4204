#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "cloud/ingest/admitter.h"
#include "cloud/store/sqlite/sqlite_outbox.h"
#include "cloud/store/sqlite/sqlite_queries.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "shared/sqlite/database.h"
#include "shared/time/clock.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;
using namespace dots::cloud::sqlite_store;

namespace {
// The SQLite store's three sides on one data folder, as the ingester opens them.
struct StoreUnderTest {
  std::unique_ptr<SqliteWriter> writer;
  std::unique_ptr<SqliteQueries> queries;
  std::unique_ptr<SqliteOutbox> outbox;

  static Result<StoreUnderTest> open(const std::string& dir) {
    auto writer = SqliteWriter::open(dir);
    if (!writer) return std::unexpected(writer.error());
    auto queries = SqliteQueries::open(dir);
    if (!queries) return std::unexpected(queries.error());
    auto outbox = SqliteOutbox::open(dir);
    if (!outbox) return std::unexpected(outbox.error());
    return StoreUnderTest{std::move(*writer), std::move(*queries), std::move(*outbox)};
  }
};
IncomingBatch batchOf(const std::string& gw, std::uint32_t epoch, std::uint64_t seq, int n,
                      std::int64_t t0) {
  IncomingBatch b;
  b.gateway = gw;
  b.id = {1, epoch, seq};
  for (int i = 0; i < n; ++i) {
    b.batch.readings.push_back(
        {"s" + std::to_string(i % 2), "Cel", t0 + i, ValueKind::kNumber, i * 1.5, "", {}});
  }
  return b;
}

ReadingFilter filterOf(std::string gateway, std::optional<std::string> sensor = {},
                       std::optional<std::int64_t> from = {}, std::optional<std::int64_t> to = {}) {
  ReadingFilter f;
  f.gateway = std::move(gateway);
  f.sensor = std::move(sensor);
  f.from_ms = from;
  f.to_ms = to;
  return f;
}

// One group transaction, the way the ingester runs it with a channel that only stores.
std::vector<bool> commitGroup(StoreUnderTest& store, const std::vector<IncomingBatch>& batches) {
  std::vector<bool> duplicate;
  REQUIRE(store.writer->begin().has_value());
  for (const auto& b : batches) {
    auto was = store.writer->recordBatch(b.gateway, b.id, b.digest, b.batch.readings.size(),
                                         b.batch.historical);
    REQUIRE(was.has_value());
    bool fresh = *was == BatchWriter::Recorded::kFresh;
    duplicate.push_back(!fresh);
    if (fresh)
      REQUIRE(store.writer->storeReadings(1, b.gateway, b.batch.readings, b.batch.historical));
  }
  REQUIRE(store.writer->commit().has_value());
  return duplicate;
}

// One group transaction that only merges aggregate deltas for channel 7 of "gw".
void commitDeltas(StoreUnderTest& store, const std::vector<AggregateDelta>& deltas) {
  REQUIRE(store.writer->begin());
  REQUIRE(store.writer->mergeAggregates(7, "gw", deltas));
  REQUIRE(store.writer->commit());
}
}  // namespace

TEST_CASE("store: a batch is stored once, however often it is committed") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  CHECK(commitGroup(*store, {batchOf("gw", 1, 0, 10, 1000), batchOf("gw", 1, 1, 10, 2000)}) ==
        std::vector<bool>{false, false});
  // A resend of seq 1 and a new seq 2 in one group; and seq 2 twice within the group.
  CHECK(commitGroup(*store, {batchOf("gw", 1, 1, 10, 2000), batchOf("gw", 1, 2, 4, 3000),
                             batchOf("gw", 1, 2, 4, 3000)}) ==
        std::vector<bool>{true, false, true});
  auto counts = store->queries->count({});
  REQUIRE(counts.has_value());
  CHECK(counts->count == 24);
  CHECK(counts->distinct == 24);
  // Same (epoch, seq) from another gateway is a different batch.
  commitGroup(*store, {batchOf("other", 1, 1, 2, 1000)});
  CHECK(store->queries->count(filterOf("other"))->count == 2);
  CHECK(store->queries->count(filterOf("gw", "s0"))->count == 12);
  CHECK(store->queries->count(filterOf("gw", {}, 1005, 2005))->count ==
        10);  // time range [from, to)
}

TEST_CASE("store: a rolled back group leaves nothing") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  REQUIRE(store->writer->begin().has_value());
  auto b = batchOf("gw", 1, 0, 5, 1000);
  REQUIRE(*store->writer->recordBatch("gw", {1, 1, 0}, b.digest, 5, false) ==
          BatchWriter::Recorded::kFresh);
  REQUIRE(store->writer->storeReadings(1, "gw", b.batch.readings, false).has_value());
  store->writer->rollback();
  CHECK(store->queries->count({})->count == 0);
  CHECK(commitGroup(*store, {b}) == std::vector<bool>{false});  // not a duplicate
}

TEST_CASE("store: queries return what was stored, with every value kind") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  IncomingBatch b;
  b.gateway = "gw";
  b.id = {1, 1, 0};
  b.batch.historical = true;
  b.batch.readings = {{"t", "Cel", 5000, ValueKind::kNumber, 21.25, "", 3.0},
                      {"label", "", 5001, ValueKind::kText, 0, "hall, east", {}},
                      {"open", "", 5002, ValueKind::kBoolean, 1, "", {}}};
  commitGroup(*store, {b});

  std::vector<StoredReading> rows;
  REQUIRE(
      store->queries->forEach({}, [&](const StoredReading& r) { rows.push_back(r); }).has_value());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].reading.name == "label");
  CHECK(rows[0].reading.text == "hall, east");
  CHECK(rows[1].reading.kind == ValueKind::kBoolean);
  CHECK(rows[2].reading == b.batch.readings[0]);
  CHECK(rows[2].historical);
  CHECK(store->queries->stats({})->size() == 3);
  auto recent = store->queries->recent({}, 2);
  REQUIRE(recent->size() == 2);
  CHECK(recent->front().reading.name == "open");
}

TEST_CASE("store: aggregates merge across groups, in any order") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  std::vector<AggregateDelta> first{{"t", "Cel", 60000, 60000, 2, 3.0, 5.0, 1.0, 2.0}};
  std::vector<AggregateDelta> late{{"t", "Cel", 60000, 60000, 1, 3.0, 9.0, 3.0, 3.0}};
  commitDeltas(*store, first);
  commitDeltas(*store, late);
  auto rows = store->queries->aggregates({}, 10);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 1);
  const auto& a = rows->front();
  CHECK(a.count == 3);
  CHECK(a.min == 1.0);
  CHECK(a.max == 3.0);
  CHECK(a.mean == doctest::Approx(2.0));
  CHECK(a.stddev == doctest::Approx(std::sqrt(2.0 / 3.0)));  // of {1, 2, 3}
}

TEST_CASE(
    "store: deltas of one group are summed before they are written, and a rollback drops them") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  std::vector<AggregateDelta> one{{"t", "Cel", 0, 60000, 1, 2.0, 4.0, 2.0, 2.0},
                                  {"t", "Cel", 60000, 60000, 1, 7.0, 49.0, 7.0, 7.0}};
  std::vector<AggregateDelta> two{{"t", "Cel", 0, 60000, 2, 10.0, 52.0, 4.0, 6.0}};
  REQUIRE(store->writer->begin());
  REQUIRE(store->writer->mergeAggregates(7, "gw", two));
  store->writer->rollback();
  REQUIRE(store->writer->begin());
  REQUIRE(store->writer->mergeAggregates(7, "gw", one));
  REQUIRE(store->writer->mergeAggregates(7, "gw", two));
  REQUIRE(store->writer->mergeAggregates(8, "gw", two));  // another channel: its own row
  REQUIRE(store->writer->commit());
  auto rows = store->queries->aggregates({}, 10);
  REQUIRE(rows->size() == 3);
  std::ranges::sort(*rows, {},
                    [](const auto& a) { return std::tie(a.channel_id, a.window_start_ms); });
  CHECK((*rows)[0].channel_id == 7);
  CHECK((*rows)[0].count == 3);  // {2, 4, 6}: the rolled back delta is not there
  CHECK((*rows)[0].min == 2.0);
  CHECK((*rows)[0].max == 6.0);
  CHECK((*rows)[0].mean == doctest::Approx(4.0));
  CHECK((*rows)[1].count == 1);
  CHECK((*rows)[2].channel_id == 8);
  CHECK((*rows)[2].count == 2);
}

namespace {
std::int64_t aggregateLogRows(const std::string& dir) {
  auto db = sqlite::Database::open(dir + "/store.db");
  REQUIRE(db.has_value());
  auto st = db->prepare("SELECT count(*) FROM aggregate_log");
  REQUIRE(st.has_value());
  REQUIRE(st->step().value());
  return st->int64(0);
}
}  // namespace

TEST_CASE("store: aggregate deltas logged by commits and not yet folded survive a restart") {
  test::TempDir dir;
  std::vector<AggregateDelta> d1{{"t", "Cel", 0, 60000, 2, 3.0, 5.0, 1.0, 2.0}};
  std::vector<AggregateDelta> d2{{"t", "Cel", 0, 60000, 1, 3.0, 9.0, 3.0, 3.0},
                                 {"u", "Cel", 0, 60000, 1, 5.0, 25.0, 5.0, 5.0}};
  {
    auto store = StoreUnderTest::open(dir.str());
    REQUIRE(store.has_value());
    commitDeltas(*store, d1);
    commitDeltas(*store, d2);
    // The first commit folds (nothing folded yet); the second, right after, only logs.
    CHECK(aggregateLogRows(dir.str()) == 1);
  }  // ended without folding, as by kill -9
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  // Queries merge the log without folding it (they never write); the writer folds it once.
  for (int query = 0; query < 3; ++query) {
    if (query == 2) REQUIRE(store->writer->foldAggregates());
    auto rows = store->queries->aggregates({}, 10);
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 2);
    CHECK(rows->front().sensor == "t");
    CHECK(rows->front().count == 3);
    CHECK(rows->front().min == 1.0);
    CHECK(rows->front().max == 3.0);
    CHECK(rows->back().sensor == "u");
    CHECK(rows->back().count == 1);
    CHECK(aggregateLogRows(dir.str()) == (query < 2 ? 1 : 0));
  }
  // The reopened store finds the existing series (its cache starts empty): same row.
  commitDeltas(*store, d1);
  auto rows = store->queries->aggregates({}, 10);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 2);
  CHECK(rows->front().count == 5);
}

TEST_CASE("store: a damaged aggregate log row is reported, not folded") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  {
    auto db = sqlite::Database::open(dir.str() + "/store.db");
    REQUIRE(db.has_value());
    REQUIRE(db->exec("INSERT INTO aggregate_log(deltas) VALUES(x'0102030405')"));
  }
  auto rows = store->queries->aggregates({}, 10);
  REQUIRE_FALSE(rows.has_value());
  CHECK(rows.error().reason == "store-corrupt");
  CHECK(aggregateLogRows(dir.str()) == 1);  // left for a person to look at
  CHECK(store->writer->foldAggregates().error().reason == "store-corrupt");  // nor folded
}

TEST_CASE("store: readings of many blocks come back in order, filtered per reading") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  std::int64_t before = wallMillis();
  // Blocks arrive out of time order, and one reading is stored twice (another seq).
  commitGroup(*store, {batchOf("gw", 1, 0, 4, 5000), batchOf("gw", 1, 1, 4, 1000)});
  commitGroup(*store, {batchOf("a-gw", 1, 0, 2, 3000), batchOf("gw", 1, 2, 1, 5000)});
  std::vector<StoredReading> rows;
  REQUIRE(store->queries->forEach({}, [&](const StoredReading& r) { rows.push_back(r); }));
  REQUIRE(rows.size() == 11);
  std::vector<std::string> order;
  for (const auto& r : rows)
    order.push_back(r.gateway + "/" + r.reading.name + "@" + std::to_string(r.reading.time_ms));
  CHECK(order == std::vector<std::string>{"a-gw/s0@3000", "a-gw/s1@3001", "gw/s0@1000",
                                          "gw/s0@1002", "gw/s0@5000", "gw/s0@5000", "gw/s0@5002",
                                          "gw/s1@1001", "gw/s1@1003", "gw/s1@5001", "gw/s1@5003"});
  CHECK(rows.front().stored_ms >= before);
  CHECK(rows.front().stored_ms <= wallMillis());
  auto counts = store->queries->count(filterOf("gw"));
  CHECK(counts->count == 9);
  CHECK(counts->distinct == 8);
  // A range that cuts through blocks: [1002, 5001) holds 1002, 1003 and 5000 twice.
  CHECK(store->queries->count(filterOf("gw", {}, 1002, 5001))->count == 4);
  auto recent = store->queries->recent(filterOf("gw", "s1"), 3);
  REQUIRE(recent->size() == 3);
  CHECK(recent->at(0).reading.time_ms == 1003);  // newest stored first
  CHECK(recent->at(1).reading.time_ms == 1001);
  CHECK(recent->at(2).reading.time_ms == 5003);
  auto stats = store->queries->stats(filterOf("gw"));
  REQUIRE(stats->size() == 2);
  CHECK(stats->at(0).sensor == "s0");
  CHECK(stats->at(0).count == 5);
  CHECK(stats->at(0).first_ms == 1000);
  CHECK(stats->at(0).last_ms == 5002);
}

TEST_CASE("store: alerts and the delivery outbox") {
  test::TempDir dir;
  auto store = StoreUnderTest::open(dir.str());
  REQUIRE(store.has_value());
  REQUIRE(store->writer->begin());
  Alert alert{"threshold", "raised", "gw", "t", "t = 90 is above 80", 90, 1000, false};
  auto id = store->writer->recordAlert(3, "acme", "hot", alert);
  REQUIRE(id.has_value());
  REQUIRE(store->writer->enqueueDelivery(*id, "mqtt", "dots/v1/alerts/acme/hot", "{}"));
  REQUIRE(store->writer->enqueueDelivery(*id, "webhook", "http://127.0.0.1:9/x", "{}"));
  REQUIRE(store->writer->commit());
  auto due = store->outbox->dueDeliveries(5000, 10);
  REQUIRE(due->size() == 2);
  REQUIRE(store->outbox->markDelivered((*due)[0].id));
  REQUIRE(store->outbox->markAttempt((*due)[1].id, 1, 9000, "refused"));
  CHECK(store->outbox->dueDeliveries(5000, 10)->empty());
  CHECK(store->outbox->dueDeliveries(9000, 10)->size() == 1);
  REQUIRE(store->outbox->markAttempt((*due)[1].id, 8, -1, "refused"));
  CHECK(store->outbox->dueDeliveries(99999, 10)->empty());  // given up
  auto alerts = store->queries->alerts({}, 10);
  REQUIRE(alerts->size() == 1);
  CHECK(alerts->front().alert.message == "t = 90 is above 80");
  CHECK(alerts->front().channel == "hot");
}
