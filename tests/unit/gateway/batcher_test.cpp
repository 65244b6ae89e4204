#include "gateway/batcher/batcher.h"

#include <doctest/doctest.h>

using namespace dots;
using dots::gateway::Batcher;
using namespace std::chrono_literals;

namespace {
Reading r(int i) {
  return Reading{"s", "", i, ValueKind::kNumber, static_cast<double>(i), "", {}};
}
}  // namespace

TEST_CASE("batcher: due after linger, measured from the first reading") {
  Batcher b(50ms, 100);
  Batcher::Clock::time_point t0{};
  CHECK_FALSE(b.due(t0));
  CHECK_FALSE(b.deadline().has_value());
  b.add(r(1), t0);
  b.add(r(2), t0 + 40ms);
  CHECK_FALSE(b.due(t0 + 49ms));
  CHECK(b.due(t0 + 50ms));
  REQUIRE(b.deadline().has_value());
  CHECK(*b.deadline() == t0 + 50ms);
  Batch batch = b.take();
  CHECK(batch.readings.size() == 2);
  CHECK(batch.readings[0].time_ms == 1);
  CHECK(b.size() == 0);
  CHECK_FALSE(b.due(t0 + 1000ms));
}

TEST_CASE("batcher: due at once when full, take splits by max_readings in order") {
  Batcher b(1000ms, 3);
  Batcher::Clock::time_point t0{};
  for (int i = 0; i < 7; ++i) b.add(r(i), t0);
  CHECK(b.full());
  CHECK(b.due(t0));
  Batch first = b.take();
  REQUIRE(first.readings.size() == 3);
  CHECK(first.readings[0].time_ms == 0);
  CHECK(first.readings[2].time_ms == 2);
  CHECK(b.size() == 4);
  Batch second = b.take();
  CHECK(second.readings[0].time_ms == 3);
  CHECK(b.take().readings.size() == 1);
}
