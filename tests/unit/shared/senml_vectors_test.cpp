// RFC 8428's own examples (../shared/testdata/senml): every exN.gen.json must resolve to
// exN.gen.resolved.json.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shared/senml/payload_parser.h"

using namespace dots;

namespace {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expected {
  std::string name;
  std::string unit;
  double t = 0;
  ValueKind kind = ValueKind::kNumber;
  double value = 0;
  std::string text;
};

std::vector<Expected> loadResolved(const std::string& json) {
  simdjson::dom::parser parser;
  std::vector<Expected> out;
  simdjson::dom::array records = parser.parse(json).get_array().value();
  for (simdjson::dom::object rec : records) {
    Expected e;
    for (auto field : rec) {
      if (field.key == "n") e.name = std::string(field.value.get_string().value());
      if (field.key == "u") e.unit = std::string(field.value.get_string().value());
      if (field.key == "t") e.t = field.value.get_double().value();
      if (field.key == "v") e.value = field.value.get_double().value();
      if (field.key == "vs") {
        e.kind = ValueKind::kText;
        e.text = std::string(field.value.get_string().value());
      }
      if (field.key == "vb") {
        e.kind = ValueKind::kBoolean;
        e.value = field.value.get_bool().value() ? 1 : 0;
      }
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace

TEST_CASE("SenML: RFC 8428 examples resolve to their resolved forms") {
  std::filesystem::path dir = std::filesystem::path(DOTS_TESTDATA_DIR) / "senml";
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "missing test data: ", dir.string());
  int pairs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".gen.json") || file.ends_with(".resolved.json")) continue;
    std::string stem = file.substr(0, file.size() - std::string(".gen.json").size());
    std::filesystem::path resolved = dir / (stem + ".gen.resolved.json");
    std::string input = readFile(entry.path());
    CAPTURE(file);

    senml::PayloadParser parser;
    std::vector<Reading> got;
    REQUIRE(parser.parse(input, "", 0, got).has_value());
    if (!std::filesystem::exists(resolved)) continue;  // no resolved form given (ex13)
    std::vector<Expected> want = loadResolved(readFile(resolved));

    // The resolved files carry data values ("vd") nowhere; they were made by a resolver that
    // drops them. We keep them as ValueKind::kData; compare the rest.
    std::vector<Reading> comparable;
    for (const Reading& r : got) {
      if (r.kind != ValueKind::kData) comparable.push_back(r);
    }
    REQUIRE(comparable.size() == want.size());

    // Records without an absolute time resolve to "now", which the resolved file fixes: take
    // it from the first such record and resolve again.
    std::int64_t now_ms = 0;
    for (std::size_t i = 0; i < comparable.size(); ++i) {
      if (std::abs(comparable[i].time_ms) <
          static_cast<std::int64_t>(senml::kRelativeTimeLimit) * 1000) {
        now_ms = std::llround(want[i].t * 1000) - comparable[i].time_ms;
        break;
      }
    }
    got.clear();
    comparable.clear();
    REQUIRE(parser.parse(input, "", now_ms, got).has_value());
    for (const Reading& r : got) {
      if (r.kind != ValueKind::kData) comparable.push_back(r);
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(comparable[i].name == want[i].name);
      CHECK(comparable[i].unit == want[i].unit);
      CHECK(comparable[i].time_ms == std::llround(want[i].t * 1000));
      CHECK(comparable[i].kind == want[i].kind);
      CHECK(comparable[i].value == doctest::Approx(want[i].value).epsilon(1e-12));
      CHECK(comparable[i].text == want[i].text);
    }
    ++pairs;
  }
  CHECK(pairs >= 12);
}

TEST_CASE("SenML: the data value of RFC 8428 example 7 is carried as data") {
  std::string input = readFile(std::filesystem::path(DOTS_TESTDATA_DIR) / "senml" / "ex7.gen.json");
  senml::PayloadParser parser;
  std::vector<Reading> got;
  REQUIRE(parser.parse(input, "", 1700000000000, got).has_value());
  REQUIRE(got.size() == 4);
  CHECK(got[3].name == "urn:dev:ow:10e2073a01080063:nfv-reader");
  CHECK(got[3].kind == ValueKind::kData);
  CHECK(got[3].text == "aGkgCg");
}
