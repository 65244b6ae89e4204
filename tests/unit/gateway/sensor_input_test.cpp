#include "inputs/sensor_input.h"

#include <doctest/doctest.h>

using dots::gateway::SensorInput;

TEST_CASE("sensor input: names come from the topic less the filter's literal prefix") {
  std::vector<std::string> filters{"sensors/#", "plant/+/temp"};
  CHECK(SensorInput::nameFromTopic("sensors/room1/t", filters) == "room1/t");
  CHECK(SensorInput::nameFromTopic("sensors/x", filters) == "x");
  CHECK(SensorInput::nameFromTopic("plant/a/temp", filters) == "a/temp");
  CHECK(SensorInput::nameFromTopic("other/topic", filters) == "other/topic");
}
