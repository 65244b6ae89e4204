#include "shared/senml/payload_parser.h"

#include <doctest/doctest.h>

using namespace dots;
using dots::senml::PayloadParser;

namespace {
constexpr std::int64_t kNow = 1700000000000;

Result<std::vector<Reading>> parse(std::string_view payload,
                                   std::string_view topic = "topic/name") {
  PayloadParser parser;
  std::vector<Reading> out;
  auto r = parser.parse(payload, topic, kNow, out);
  if (!r) return std::unexpected(r.error());
  return out;
}

std::string reasonOf(std::string_view payload) {
  auto r = parse(payload);
  return r ? std::string("accepted") : r.error().reason;
}
}  // namespace

TEST_CASE("parser: bare number is named by the topic and timed at arrival") {
  auto r = parse("23.5", "room1/temp");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "room1/temp");
  CHECK((*r)[0].time_ms == kNow);
  CHECK((*r)[0].value == 23.5);
  CHECK((*r)[0].kind == ValueKind::kNumber);
}

TEST_CASE("parser: JSON object takes v, t (seconds) and u, named by the topic") {
  auto r = parse(R"({"v": 4.5, "t": 1700000001.25, "u": "V"})", "line/voltage");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "line/voltage");
  CHECK((*r)[0].unit == "V");
  CHECK((*r)[0].time_ms == 1700000001250);
  CHECK((*r)[0].value == 4.5);
}

TEST_CASE("parser: JSON object with relative time and a string value") {
  auto r = parse(R"({"vs": "open", "t": -2})", "door");
  REQUIRE(r.has_value());
  CHECK((*r)[0].kind == ValueKind::kText);
  CHECK((*r)[0].text == "open");
  CHECK((*r)[0].time_ms == kNow - 2000);
}

TEST_CASE("parser: SenML base fields, sums, booleans and base value") {
  auto r = parse(R"([{"bn":"dev1:","bt":1700000000,"bu":"W","bv":100,"bs":10,"n":"p","v":5},
                     {"n":"q","t":1,"v":-1,"s":2},
                     {"n":"flag","vb":true},
                     {"n":"e","s":7}])");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].name == "dev1:p");
  CHECK((*r)[0].value == 105);
  CHECK((*r)[0].unit == "W");
  CHECK((*r)[0].time_ms == 1700000000000);
  CHECK((*r)[1].time_ms == 1700000001000);
  CHECK((*r)[1].value == 99);
  REQUIRE((*r)[1].sum.has_value());
  CHECK(*(*r)[1].sum == 12);
  CHECK((*r)[2].kind == ValueKind::kBoolean);
  CHECK((*r)[2].value == 1);
  CHECK((*r)[3].sum == 17);
  CHECK((*r)[3].value == 17);  // a sum-only record's value is its sum
}

TEST_CASE("parser: a base-only record sets bases and yields no reading") {
  auto r = parse(R"([{"bn":"x:"},{"n":"a","v":1}])");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "x:a");
}

TEST_CASE("parser: rejections carry their reason and leave output untouched") {
  CHECK(reasonOf("not json") == "bad-json");
  CHECK(reasonOf("[1,2]") == "senml-bad-field");
  CHECK(reasonOf(R"("a string")") == "unsupported-payload");
  CHECK(reasonOf("true") == "unsupported-payload");
  CHECK(reasonOf(R"([{"n":"a","v":"1"}])") == "senml-bad-field");
  CHECK(reasonOf(R"([{"n":"a","vb":1}])") == "senml-bad-field");
  CHECK(reasonOf(R"([{"n":"a","v":1,"t":"now"}])") == "senml-bad-field");
  CHECK(reasonOf(R"([{"n":"-bad","v":1}])") == "senml-bad-name");
  CHECK(reasonOf(R"([{"n":"sp ace","v":1}])") == "senml-bad-name");
  CHECK(reasonOf(R"([{"bver":11,"n":"a","v":1}])") == "senml-version");
  CHECK(reasonOf(R"([{"n":"a","v":1,"foo_":2}])") == "senml-must-understand");
  CHECK(reasonOf(R"({"u":"V"})") == "senml-bad-field");
  CHECK(reasonOf("1e999") == "bad-json");
  CHECK(reasonOf(std::string(senml::kMaxPayloadBytes + 1, ' ')) == "oversize");

  PayloadParser parser;
  std::vector<Reading> out{Reading{"keep", "", 1, ValueKind::kNumber, 1, "", {}}};
  // The first record is fine, the second is bad: nothing of the pack may remain.
  auto r = parser.parse(R"([{"n":"a","v":1},{"n":"b","v":"x"}])", "", kNow, out);
  CHECK_FALSE(r.has_value());
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "keep");
}

TEST_CASE("parser: a record with no name on a pack without a topic name is rejected") {
  PayloadParser parser;
  std::vector<Reading> out;
  auto r = parser.parse(R"([{"v":1}])", "", kNow, out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().reason == "senml-no-name");
}

TEST_CASE("parser: unknown extension fields are ignored") {
  auto r = parse(R"([{"n":"a","v":1,"l":"[]","ut":5}])");
  REQUIRE(r.has_value());
  CHECK(r->size() == 1);
}

TEST_CASE("SenML names follow RFC 8428 4.5.1") {
  CHECK(senml::isValidSenmlName("urn:dev:ow:10e2073a01080063:temp"));
  CHECK(senml::isValidSenmlName("2001:db8::2/temperature"));
  CHECK_FALSE(senml::isValidSenmlName(""));
  CHECK_FALSE(senml::isValidSenmlName(":starts-with-colon"));
  CHECK_FALSE(senml::isValidSenmlName("has space"));
  CHECK_FALSE(senml::isValidSenmlName("ünicode"));
}
