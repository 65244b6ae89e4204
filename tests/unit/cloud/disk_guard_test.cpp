// The free-disk watermark's state machine and the guard that feeds it.
#include "cloud/ingest/disk_guard.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

namespace {
constexpr std::uint64_t kMiB = 1ULL << 20;
using Change = DiskWatermark::Change;
}  // namespace

TEST_CASE("watermark: the larger of bytes and percent, low below it, back above it plus a tenth") {
  DiskWatermark w({100 * kMiB, 5.0});
  CHECK(w.threshold(1000 * kMiB) == 100 * kMiB);  // 5% = 50 MiB
  CHECK(w.threshold(4000 * kMiB) == 200 * kMiB);  // 5% = 200 MiB
  CHECK(w.resumeLevel(1000 * kMiB) == 110 * kMiB);
  const std::uint64_t total = 1000 * kMiB;
  CHECK(w.update({150 * kMiB, total}) == Change::kNone);
  CHECK(w.update({100 * kMiB, total}) == Change::kNone);  // at the line is not below it
  CHECK(w.update({100 * kMiB - 1, total}) == Change::kLow);
  CHECK(w.low());
  CHECK(w.update({10 * kMiB, total}) == Change::kNone);   // said once
  CHECK(w.update({105 * kMiB, total}) == Change::kNone);  // above the line, not above the margin
  CHECK(w.low());
  CHECK(w.update({110 * kMiB, total}) == Change::kRecovered);
  CHECK_FALSE(w.low());
  CHECK(w.update({109 * kMiB, total}) == Change::kNone);  // no flapping just above the line
  CHECK(w.update({99 * kMiB, total}) == Change::kLow);
}

TEST_CASE("watermark: off when both are 0, and a small threshold still has a 1 MiB margin") {
  DiskWatermark off({0, 0.0});
  CHECK(off.threshold(1ULL << 40) == 0);
  CHECK(off.update({0, 1ULL << 40}) == Change::kNone);
  CHECK_FALSE(off.low());
  DiskWatermark small({2 * kMiB, 0.0});
  CHECK(small.resumeLevel(0) == 3 * kMiB);
}

TEST_CASE("disk guard: low() follows the probe, each change is told, a failed notice is retried") {
  DiskSpace space{500 * kMiB, 1000 * kMiB};
  bool probe_fails = false;
  std::vector<std::pair<Change, std::uint64_t>> told;
  bool notice_fails = false;
  DiskGuard guard(
      {100 * kMiB, 0.0},
      [&]() -> Result<DiskSpace> {
        if (probe_fails) return fail("disk-space", "test");
        return space;
      },
      [&](Change c, const DiskView& v) {
        told.emplace_back(c, v.free_bytes);
        return !notice_fails;
      });
  CHECK_FALSE(guard.view().known);
  guard.check();
  CHECK(guard.view().known);
  CHECK_FALSE(guard.low());
  CHECK(told.empty());

  space.free_bytes = 50 * kMiB;
  notice_fails = true;  // the broker is away: told again at every check
  guard.check();
  CHECK(guard.low());
  CHECK(guard.view().low);
  CHECK(guard.view().min_free_bytes == 100 * kMiB);
  CHECK(guard.view().low_periods == 1);
  guard.check();
  notice_fails = false;
  space.free_bytes = 40 * kMiB;
  guard.check();
  guard.check();  // told: no more notices
  REQUIRE(told.size() == 3);
  CHECK(told[0] == std::pair{Change::kLow, 50 * kMiB});
  CHECK(told[2] == std::pair{Change::kLow, 40 * kMiB});

  probe_fails = true;  // a failed probe keeps the state
  guard.check();
  CHECK(guard.low());
  probe_fails = false;
  space.free_bytes = 200 * kMiB;
  guard.check();
  CHECK_FALSE(guard.low());
  REQUIRE(told.size() == 4);
  CHECK(told[3].first == Change::kRecovered);
  CHECK(guard.view().low_periods == 1);
}

TEST_CASE("disk guard: the probe reads a real file system") {
  test::TempDir dir;
  auto space = diskSpaceOf(dir.str());
  REQUIRE(space.has_value());
  CHECK(space->total_bytes > 0);
  CHECK(space->free_bytes <= space->total_bytes);
  CHECK(diskSpaceOf(dir.file("missing/folder")).error().reason == "disk-space");
}
