#include "gateway/spool/spool.h"

#include <doctest/doctest.h>

#include <fstream>

#include "shared/sqlite/database.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::gateway;

namespace {
std::vector<std::uint8_t> payload(std::size_t n, std::uint8_t fill = 1) {
  return std::vector<std::uint8_t>(n, fill);
}
Spool openSpool(const SpoolOptions& o) {
  auto s = Spool::open(o);
  REQUIRE(s.has_value());
  return std::move(*s);
}
}  // namespace

TEST_CASE("spool: append, read in order, remove by acked ranges") {
  test::TempDir dir;
  Spool spool =
      openSpool({dir.file("spool.db"), 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kNormal});
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    auto r = spool.append(7, seq, 10, payload(100, static_cast<std::uint8_t>(seq)), 1000, 42);
    REQUIRE(r.has_value());
    CHECK(r->stored);
  }
  CHECK(spool.batches() == 5);
  CHECK(spool.readings() == 50);
  CHECK(spool.bytes() == 500);

  auto first = spool.after(0, 2);
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].seq == 0);
  CHECK((*first)[1].seq == 1);
  CHECK((*first)[1].payload == payload(100, 1));
  auto rest = spool.after((*first)[1].id, 10);
  REQUIRE(rest->size() == 3);

  CHECK((*first)[1].run == 42);
  // Another run's ack for the same (epoch, seq) removes nothing of this run.
  CHECK(spool.remove({{41, 7, 0, 4}})->ids.empty());
  auto removed = spool.remove({{42, 7, 1, 3}, {42, 9, 0, 100}});
  REQUIRE(removed.has_value());
  CHECK(removed->ids.size() == 3);
  CHECK(removed->readings == 30);
  CHECK(spool.batches() == 2);
  CHECK(spool.bytes() == 200);
  auto left = spool.after(0, 10);
  REQUIRE(left->size() == 2);
  CHECK((*left)[0].seq == 0);
  CHECK((*left)[1].seq == 4);
  // A repeated ack removes nothing more.
  CHECK(spool.remove({{42, 7, 1, 3}})->ids.empty());
}

TEST_CASE("spool: survives reopening with its totals") {
  test::TempDir dir;
  SpoolOptions o{dir.file("spool.db"), 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kFull};
  {
    Spool spool = openSpool(o);
    REQUIRE(spool.append(1, 0, 3, payload(10), 1)->stored);
    REQUIRE(spool.append(1, 1, 4, payload(20), 2)->stored);
  }
  Spool again = openSpool(o);
  CHECK(again.batches() == 2);
  CHECK(again.readings() == 7);
  CHECK(again.bytes() == 30);
  CHECK(*again.oldestCreatedMs() == std::optional<std::int64_t>(1));
}

TEST_CASE("spool: epochs only grow, across reopening, even if the clock goes back") {
  test::TempDir dir;
  SpoolOptions o{dir.file("spool.db"), 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kNormal};
  std::uint32_t e1 = 0;
  {
    Spool spool = openSpool(o);
    e1 = *spool.reserveEpoch(1000);
    CHECK(e1 == 1000);
    CHECK(*spool.reserveEpoch(10) == 1001);
  }
  Spool again = openSpool(o);
  CHECK(*again.reserveEpoch(5) == 1002);
  CHECK(*again.reserveEpoch(5000) == 5000);
}

TEST_CASE("spool: drop-oldest makes room and counts what it dropped") {
  test::TempDir dir;
  Spool spool =
      openSpool({dir.file("spool.db"), 4096 * 3, SpoolPolicy::kDropOldest, SpoolSync::kOff});
  for (std::uint64_t seq = 0; seq < 3; ++seq)
    REQUIRE(spool.append(1, seq, 5, payload(4096), 1)->stored);
  auto r = spool.append(1, 3, 5, payload(4096), 1);
  REQUIRE(r.has_value());
  CHECK(r->stored);
  CHECK(r->dropped_batches == 1);
  CHECK(r->dropped_readings == 5);
  CHECK(spool.batches() == 3);
  CHECK(spool.after(0, 1)->front().seq == 1);  // seq 0 was the oldest
}

TEST_CASE("spool: reject-new keeps what it has and refuses the new batch") {
  test::TempDir dir;
  Spool spool =
      openSpool({dir.file("spool.db"), 4096 * 2, SpoolPolicy::kRejectNew, SpoolSync::kOff});
  REQUIRE(spool.append(1, 0, 5, payload(4096), 1)->stored);
  REQUIRE(spool.append(1, 1, 5, payload(4096), 1)->stored);
  auto r = spool.append(1, 2, 6, payload(4096), 1);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->stored);
  CHECK(r->dropped_readings == 6);
  CHECK(spool.batches() == 2);
  CHECK(spool.after(0, 10)->back().seq == 1);
}

TEST_CASE("spool: a corrupt file is moved aside and a fresh spool starts") {
  test::TempDir dir;
  std::string path = dir.file("spool.db");
  {
    std::ofstream junk(path, std::ios::binary);
    junk << std::string(8192, 'Z');
  }
  auto s = Spool::open({path, 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kNormal});
  REQUIRE(s.has_value());
  CHECK(s->batches() == 0);
  CHECK(s->append(1, 0, 1, payload(10), 1)->stored);
  bool moved = false;
  for (const auto& e : std::filesystem::directory_iterator(dir.str())) {
    if (e.path().filename().string().starts_with("spool.db.corrupt-")) moved = true;
  }
  CHECK(moved);
}

TEST_CASE("spool: the age limit drops old batches and counts them") {
  test::TempDir dir;
  Spool spool =
      openSpool({dir.file("spool.db"), 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kOff});
  REQUIRE(spool.append(1, 0, 3, payload(10), 1000)->stored);
  REQUIRE(spool.append(1, 1, 4, payload(10), 2000)->stored);
  REQUIRE(spool.append(1, 2, 5, payload(10), 3000)->stored);
  CHECK(**spool.lastId() == spool.after(0, 10)->back().id);
  auto r = spool.dropOlderThan(2500);
  REQUIRE(r.has_value());
  CHECK(r->dropped_batches == 2);
  CHECK(r->dropped_readings == 7);
  CHECK(spool.batches() == 1);
  CHECK(spool.readings() == 5);
  CHECK(spool.bytes() == 10);
  CHECK(spool.dropOlderThan(2500)->dropped_batches == 0);
}

TEST_CASE("spool: a spool made before runs gets the run column, its batches run 0") {
  test::TempDir dir;
  {
    auto db = sqlite::Database::open(dir.file("spool.db")).value();
    REQUIRE(
        db.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                "CREATE TABLE batches(id INTEGER PRIMARY KEY AUTOINCREMENT, epoch INTEGER NOT "
                "NULL, seq INTEGER NOT NULL, readings INTEGER NOT NULL, bytes INTEGER NOT NULL, "
                "created_ms INTEGER NOT NULL, payload BLOB NOT NULL, UNIQUE(epoch, seq));"
                "INSERT INTO batches(epoch, seq, readings, bytes, created_ms, payload) "
                "VALUES(3, 0, 5, 2, 1, x'0102');"));
  }
  Spool spool =
      openSpool({dir.file("spool.db"), 1 << 20, SpoolPolicy::kDropOldest, SpoolSync::kNormal});
  CHECK(spool.batches() == 1);
  auto all = spool.after(0, 10);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].run == 0);
  REQUIRE(spool.append(4, 0, 1, payload(3, 1), 2, 77)->stored);
  CHECK(spool.remove({{0, 3, 0, 0}})->ids.size() == 1);
  CHECK(spool.batches() == 1);
}
