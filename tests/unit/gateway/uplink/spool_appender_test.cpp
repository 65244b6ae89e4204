#include "gateway/uplink/spool_appender.h"

#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::gateway;

namespace {
Spool openSpool(const test::TempDir& dir, std::uint64_t max_bytes, SpoolPolicy policy) {
  auto s = Spool::open({dir.file("spool.db"), max_bytes, policy, SpoolSync::kNormal});
  REQUIRE(s.has_value());
  return std::move(*s);
}
SealedBatch sealed(std::uint64_t seq, std::uint32_t readings, std::size_t bytes) {
  return {9, 1, seq, readings, std::vector<std::uint8_t>(bytes, 0x11)};
}
}  // namespace

TEST_CASE("spool appender: counts what it stores and what the policy drops") {
  test::TempDir dir;
  Spool spool = openSpool(dir, 4096, SpoolPolicy::kDropOldest);
  UplinkCounters counters;
  SpoolAppender appender(spool, {4096, SpoolPolicy::kDropOldest, {}}, counters);
  for (std::uint64_t seq = 0; seq < 5; ++seq) appender.append(sealed(seq, 10, 1000), 1000);
  CHECK(counters.batches_spooled == 5);
  CHECK(counters.readings_spooled == 50);
  CHECK(counters.sealed_bytes == 5000);
  CHECK(counters.batches_dropped == 1);  // 4096 bytes hold four
  CHECK(counters.readings_dropped == 10);
  CHECK(spool.batches() == 4);
  CHECK(counters.readings_spooled - counters.readings_dropped == spool.readings());
}

TEST_CASE("spool appender: drops batches older than the age limit, none without one") {
  test::TempDir dir;
  Spool spool = openSpool(dir, 1 << 20, SpoolPolicy::kDropOldest);
  UplinkCounters counters;
  SpoolAppender appender(spool, {1 << 20, SpoolPolicy::kDropOldest, std::chrono::seconds(10)},
                         counters);
  CHECK(appender.hasAgeLimit());
  appender.append(sealed(0, 3, 10), 1'000);
  appender.append(sealed(1, 4, 10), 5'000);
  appender.append(sealed(2, 5, 10), 12'000);
  appender.dropExpired(14'000);  // cutoff 4 s: only the first is older
  CHECK(counters.batches_dropped == 1);
  CHECK(counters.readings_dropped == 3);
  CHECK(spool.batches() == 2);

  SpoolAppender unlimited(spool, {1 << 20, SpoolPolicy::kDropOldest, {}}, counters);
  CHECK_FALSE(unlimited.hasAgeLimit());
  unlimited.dropExpired(1'000'000);
  CHECK(spool.batches() == 2);
}
