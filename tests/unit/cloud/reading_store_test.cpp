#include "store/reading_store.h"

#include <doctest/doctest.h>

#include "unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

namespace {
IncomingBatch batchOf(const std::string& gw, std::uint32_t epoch, std::uint64_t seq, int n,
                      std::int64_t t0) {
  IncomingBatch b{gw, epoch, seq, {}};
  for (int i = 0; i < n; ++i) {
    b.batch.readings.push_back(
        {"s" + std::to_string(i % 2), "Cel", t0 + i, ValueKind::kNumber, i * 1.5, "", {}});
  }
  return b;
}
}  // namespace

TEST_CASE("store: a batch is stored once, however often it is committed") {
  test::TempDir dir;
  auto store = ReadingStore::open(dir.str());
  REQUIRE(store.has_value());
  std::vector<IncomingBatch> first{batchOf("gw", 1, 0, 10, 1000), batchOf("gw", 1, 1, 10, 2000)};
  auto r1 = store->commit(first);
  REQUIRE(r1.has_value());
  CHECK(r1->readings == 20);
  CHECK(r1->duplicate == std::vector<bool>{false, false});

  // A resend of seq 1 and a new seq 2 in one group; and seq 2 twice within the group.
  std::vector<IncomingBatch> second{batchOf("gw", 1, 1, 10, 2000), batchOf("gw", 1, 2, 4, 3000),
                                    batchOf("gw", 1, 2, 4, 3000)};
  auto r2 = store->commit(second);
  REQUIRE(r2.has_value());
  CHECK(r2->readings == 4);
  CHECK(r2->duplicate == std::vector<bool>{true, false, true});

  auto counts = store->count({});
  REQUIRE(counts.has_value());
  CHECK(counts->count == 24);
  CHECK(counts->distinct == 24);
  // Same (epoch, seq) from another gateway is a different batch.
  REQUIRE(store->commit(std::vector<IncomingBatch>{batchOf("other", 1, 1, 2, 1000)}).has_value());
  CHECK(store->count({"other", {}})->count == 2);
  CHECK(store->count({"gw", "s0"})->count == 12);
}

TEST_CASE("store: queries return what was stored, with every value kind") {
  test::TempDir dir;
  auto store = ReadingStore::open(dir.str());
  REQUIRE(store.has_value());
  IncomingBatch b{"gw", 1, 0, {}};
  b.batch.historical = true;
  b.batch.readings = {{"t", "Cel", 5000, ValueKind::kNumber, 21.25, "", 3.0},
                      {"label", "", 5001, ValueKind::kText, 0, "hall, east", {}},
                      {"open", "", 5002, ValueKind::kBoolean, 1, "", {}}};
  REQUIRE(store->commit(std::vector<IncomingBatch>{b}).has_value());

  std::vector<StoredReading> rows;
  REQUIRE(store->forEach({}, [&](const StoredReading& r) { rows.push_back(r); }).has_value());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].reading.name == "label");
  CHECK(rows[0].reading.text == "hall, east");
  CHECK(rows[1].reading.kind == ValueKind::kBoolean);
  CHECK(rows[2].reading == b.batch.readings[0]);
  CHECK(rows[2].historical);

  auto stats = store->stats({});
  REQUIRE(stats.has_value());
  CHECK(stats->size() == 3);
  auto recent = store->recent({}, 2);
  REQUIRE(recent->size() == 2);
  CHECK(recent->front().reading.name == "open");
}
