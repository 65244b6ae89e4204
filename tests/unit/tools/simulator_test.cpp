#include "tools/sim/simulator.h"

#include <doctest/doctest.h>

#include "shared/senml/payload_parser.h"

using namespace dots;

TEST_CASE("sim: the same seed gives the same sensors") {
  sim::SimOptions o;
  o.sensors = 8;
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  std::mt19937_64 c(43);
  auto sa = sim::makeSensors(o, a);
  auto sb = sim::makeSensors(o, b);
  auto sc = sim::makeSensors(o, c);
  REQUIRE(sa.size() == 8);
  CHECK(sa[0].name == "sensor-0001");
  CHECK(sa[7].name == "sensor-0008");
  bool differs = false;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    CHECK(sa[i].value == sb[i].value);
    differs = differs || sa[i].value != sc[i].value;
  }
  CHECK(differs);
}

TEST_CASE("sim: every format parses back to the same name, time and value") {
  sim::SensorModel s{"sensor-0001", "Cel", 0, 0, 0};
  senml::PayloadParser parser;
  for (auto f : {sim::Format::kSenml, sim::Format::kJson, sim::Format::kPlain}) {
    std::vector<Reading> out;
    auto payload = sim::formatPayload(f, s, 21.37, 1764000000123);
    REQUIRE(parser.parse(payload, "sensor-0001", 99, out).has_value());
    REQUIRE(out.size() == 1);
    CHECK(out[0].name == "sensor-0001");
    CHECK(out[0].value == 21.37);
    CHECK(out[0].time_ms == (f == sim::Format::kPlain ? 99 : 1764000000123));
    if (f != sim::Format::kPlain) CHECK(out[0].unit == "Cel");
  }
}

TEST_CASE("sim faults: decided by the seed alone, in the stated proportions and patterns") {
  sim::FaultOptions o;
  o.duplicates = 0.1;
  o.malformed = 0.05;
  o.oversize = 0.05;
  o.dropout_every = 100;
  o.dropout_len = 10;
  o.burst_every = 50;
  o.burst_size = 5;
  o.skew_ms = -100;
  o.jump_ms = 1000;
  o.jump_at = 7;
  sim::FaultPlan a(o, 1);
  sim::FaultPlan b(o, 1);
  sim::FaultPlan other(o, 2);
  int duplicates = 0, spoiled = 0, same = 0, both = 0;
  for (std::uint64_t k = 0; k < 10000; ++k) {
    duplicates += a.duplicate(3, k);
    spoiled += a.malformed(3, k) || a.oversize(3, k);
    both += a.malformed(3, k) && a.oversize(3, k);
    same += a.duplicate(3, k) == b.duplicate(3, k) && a.malformed(3, k) == b.malformed(3, k);
  }
  CHECK(same == 10000);  // the same seed, the same decisions
  CHECK(duplicates > 900);
  CHECK(duplicates < 1100);
  CHECK(spoiled > 850);  // 5% + 5% of the rest
  CHECK(spoiled < 1100);
  CHECK(both == 0);  // a message is spoiled one way at most
  int differ = 0;
  for (std::uint64_t k = 0; k < 1000; ++k) differ += a.duplicate(3, k) != other.duplicate(3, k);
  CHECK(differ > 0);
  CHECK(!a.dropped(89));
  CHECK(a.dropped(90));
  CHECK(a.dropped(99));
  CHECK(!a.dropped(100));
  CHECK(a.inBurst(4));
  CHECK(!a.inBurst(5));
  CHECK(a.inBurst(50));
  CHECK(a.clockOffset(6) == -100);
  CHECK(a.clockOffset(7) == 900);
  CHECK(!sim::FaultOptions{}.any());
  CHECK(o.any());
}
