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
