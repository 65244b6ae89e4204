#include "shared/json/json_writer.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <string>

using dots::json::Writer;

namespace {
// The document as simdjson reads it back, or "" when it is not valid JSON.
std::string reparsed(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) return "";
  return simdjson::minify(doc);
}
}  // namespace

TEST_CASE("json::Writer: objects and arrays get their commas and colons from the writer") {
  Writer w;
  w.beginObject()
      .key("name")
      .string("gw-1")
      .key("enabled")
      .boolean(true)
      .key("key_id")
      .integer(1u)
      .key("handlers")
      .beginArray()
      .string("store")
      .string("filter:sensors=t*")
      .endArray()
      .key("nested")
      .beginArray()
      .beginObject()
      .endObject()
      .beginArray()
      .endArray()
      .null()
      .endArray()
      .endObject();
  CHECK(w.str() ==
        R"({"name":"gw-1","enabled":true,"key_id":1,"handlers":["store","filter:sensors=t*"],)"
        R"("nested":[{},[],null]})");
  CHECK(reparsed(w.str()) == w.str());
}

TEST_CASE("json::Writer: empty containers and a bare value are whole documents") {
  CHECK(Writer().beginArray().endArray().str() == "[]");
  CHECK(Writer().beginObject().endObject().str() == "{}");
  CHECK(Writer().string("x").str() == R"("x")");
  CHECK(Writer().integer(-7).str() == "-7");
}

TEST_CASE("json::Writer: the spaced style puts one space after colons and commas") {
  Writer w(Writer::Spacing::kSpaced);
  w.beginObject().key("count").integer(std::uint64_t{12}).key("distinct").integer(3).endObject();
  CHECK(w.str() == R"({"count": 12, "distinct": 3})");
  Writer a(Writer::Spacing::kSpaced);
  a.beginArray().integer(1).integer(2).beginArray().endArray().endArray();
  CHECK(a.str() == "[1, 2, []]");
}

TEST_CASE("json::Writer: strings escape quotes, backslashes and control characters only") {
  CHECK(Writer().string("a\"b\\c").str() == R"("a\"b\\c")");
  CHECK(Writer().string("l1\nl2\r\t").str() == R"("l1\nl2\r\t")");
  CHECK(Writer().string(std::string("\x00\x01\x1f\x7f", 4)).str() ==
        "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(Writer().string("\b\f").str() == R"("\u0008\u000c")");
  // UTF-8 passes through byte for byte, and so does a slash.
  CHECK(Writer().string("23 °C / Zürich ✓").str() == "\"23 °C / Zürich ✓\"");
  // Keys are escaped the same way.
  CHECK(Writer().beginObject().key("k\"").null().endObject().str() == R"({"k\"":null})");
  std::string every;
  for (int c = 1; c < 0x80; ++c) every.push_back(static_cast<char>(c));
  std::string doc = Writer().beginArray().string(every).endArray().take();
  simdjson::dom::parser parser;
  simdjson::dom::element back;
  REQUIRE(parser.parse(doc).get(back) == simdjson::SUCCESS);
  CHECK(std::string(back.at(0).get_string().value()) == every);
}

TEST_CASE("json::Writer: integers span their whole range") {
  Writer w;
  w.beginArray()
      .integer(std::numeric_limits<std::int64_t>::min())
      .integer(std::numeric_limits<std::uint64_t>::max())
      .integer(std::int16_t{-3})
      .integer(std::uint8_t{200})
      .endArray();
  CHECK(w.str() == "[-9223372036854775808,18446744073709551615,-3,200]");
}

TEST_CASE("json::Writer: doubles are shortest round-trip text, a non-finite one is null") {
  Writer w;
  w.beginArray()
      .number(21.5)
      .number(0.1 + 0.2)
      .number(-3)
      .number(1e300)
      .number(std::numeric_limits<double>::quiet_NaN())
      .number(std::numeric_limits<double>::infinity())
      .number(-std::numeric_limits<double>::infinity())
      .endArray();
  CHECK(w.str() == "[21.5,0.30000000000000004,-3,1e+300,null,null,null]");
  CHECK_FALSE(reparsed(w.str()).empty());
}

TEST_CASE("json::Writer: take() hands the document over and starts afresh") {
  Writer w;
  w.beginObject().key("a").integer(1).endObject();
  CHECK(w.take() == R"({"a":1})");
  CHECK(w.str().empty());
  w.beginArray().boolean(false).endArray();
  CHECK(w.str() == "[false]");
}
