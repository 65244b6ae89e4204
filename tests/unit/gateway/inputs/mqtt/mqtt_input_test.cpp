#include "gateway/inputs/mqtt/mqtt_input.h"

#include <doctest/doctest.h>

#include "tests/support/fake_connection.h"

using namespace dots;
using namespace dots::gateway;

namespace {
constexpr std::int64_t kArrivalMs = 1'700'000'123'456;

struct Rig {
  explicit Rig(std::vector<std::string> topics = {"sensors/#"}) {
    MqttInputOptions o;
    o.name = "plant";
    o.topics = std::move(topics);
    auto owned = std::make_unique<test::FakeConnection>();
    connection = owned.get();
    input = std::make_unique<MqttInput>(
        o, std::move(owned),
        [this](std::vector<Reading>&& r) {
          ++handovers;
          readings.insert(readings.end(), r.begin(), r.end());
        },
        [] { return kArrivalMs; });
  }
  test::FakeConnection* connection = nullptr;
  std::vector<Reading> readings;
  int handovers = 0;
  std::unique_ptr<MqttInput> input;
};
}  // namespace

TEST_CASE("mqtt input: names come from the topic less the filter's literal prefix") {
  std::vector<std::string> filters{"sensors/#", "plant/+/temp"};
  CHECK(MqttInput::nameFromTopic("sensors/room1/t", filters) == "room1/t");
  CHECK(MqttInput::nameFromTopic("sensors/x", filters) == "x");
  CHECK(MqttInput::nameFromTopic("plant/a/temp", filters) == "a/temp");
  CHECK(MqttInput::nameFromTopic("other/topic", filters) == "other/topic");
}

TEST_CASE("mqtt input: subscribes to every filter at QoS 1 and starts and stops its connection") {
  Rig rig({"sensors/#", "plant/+/temp"});
  CHECK(rig.connection->subscriptions() ==
        std::vector<std::pair<std::string, int>>{{"sensors/#", 1}, {"plant/+/temp", 1}});
  CHECK(rig.input->name() == "plant");
  rig.input->start();
  CHECK(rig.connection->started());
  CHECK_FALSE(rig.input->connected());
  rig.connection->connect();
  CHECK(rig.input->connected());
  rig.input->stop();
  CHECK(rig.connection->stopped());
}

TEST_CASE("mqtt input: SenML, JSON objects and bare numbers become readings") {
  Rig rig;
  rig.connection->deliver("sensors/ignored",
                          R"([{"bn":"room1/","bt":1700000000,"bu":"Cel","n":"t","v":21.5},)"
                          R"({"n":"h","u":"%RH","v":40,"t":1}])");
  rig.connection->deliver("sensors/pump", R"({"v":3.5,"t":1700000002,"u":"A"})");
  rig.connection->deliver("sensors/a/b", "42");
  REQUIRE(rig.readings.size() == 4);
  CHECK(rig.handovers == 3);

  CHECK(rig.readings[0].name == "room1/t");
  CHECK(rig.readings[0].unit == "Cel");
  CHECK(rig.readings[0].value == 21.5);
  CHECK(rig.readings[0].time_ms == 1'700'000'000'000);
  CHECK(rig.readings[1].name == "room1/h");
  CHECK(rig.readings[1].unit == "%RH");
  CHECK(rig.readings[1].time_ms == 1'700'000'001'000);

  CHECK(rig.readings[2].name == "pump");  // named by the topic
  CHECK(rig.readings[2].value == 3.5);
  CHECK(rig.readings[2].unit == "A");
  CHECK(rig.readings[2].time_ms == 1'700'000'002'000);

  CHECK(rig.readings[3].name == "a/b");
  CHECK(rig.readings[3].value == 42);
  CHECK(rig.readings[3].time_ms == kArrivalMs);  // a bare number is timed at arrival

  InputStats s = rig.input->stats();
  CHECK(s.messages == 3);
  CHECK(s.readings == 4);
  CHECK(s.rejected.empty());
}

TEST_CASE("mqtt input: bad payloads are counted by reason and hand nothing on") {
  Rig rig;
  rig.connection->deliver("sensors/a", "{not json");
  rig.connection->deliver("sensors/a", "[{\"n\":\"x\",\"v\":\"1\"}]");
  rig.connection->deliver("sensors/a", "{\"v\":1,\"bver\":99}");
  rig.connection->deliver("sensors/a", "\"text\"");
  rig.connection->deliver("sensors/b", "{broken");
  rig.connection->deliver("sensors/c", "7");
  InputStats s = rig.input->stats();
  CHECK(s.messages == 6);
  CHECK(s.readings == 1);
  CHECK(s.rejected == std::map<std::string, std::uint64_t>{{"bad-json", 2},
                                                           {"senml-bad-field", 1},
                                                           {"senml-version", 1},
                                                           {"unsupported-payload", 1}});
  REQUIRE(rig.readings.size() == 1);
  CHECK(rig.readings[0].name == "c");
  CHECK(rig.handovers == 1);
}
