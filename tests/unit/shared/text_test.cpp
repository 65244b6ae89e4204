#include "shared/text/text.h"

#include <doctest/doctest.h>

#include <charconv>

#include "shared/text/hex.h"
#include "shared/topics/topics.h"

using namespace dots;

TEST_CASE("formatDouble is shortest and round-trips") {
  CHECK(formatDouble(21.5) == "21.5");
  CHECK(formatDouble(0.1) == "0.1");
  CHECK(formatDouble(-3) == "-3");
  for (double v : {0.1 + 0.2, 1e-300, 123456.789, 1700000000.123}) {
    std::string s = formatDouble(v);
    double back = 0;
    std::from_chars(s.data(), s.data() + s.size(), back);
    CHECK(back == v);
  }
}

TEST_CASE("jsonQuote and csvField escape what they must") {
  CHECK(jsonQuote("a\"b\\c\n") == R"("a\"b\\c\n")");
  CHECK(jsonQuote(std::string("\x01", 1)) == R"("\u0001")");
  CHECK(csvField("plain") == "plain");
  CHECK(csvField("a,b") == "\"a,b\"");
  CHECK(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
}

TEST_CASE("hex round trip and rejection") {
  std::vector<std::uint8_t> bytes{0x00, 0x7f, 0xff, 0x10};
  CHECK(toHex(bytes) == "007fff10");
  CHECK(fromHex("007FFF10") == bytes);
  CHECK_FALSE(fromHex("abc").has_value());
  CHECK_FALSE(fromHex("zz").has_value());
}

TEST_CASE("topics: gateway id of an up topic") {
  CHECK(topics::gatewayOfUpTopic("dots/v1/gw-1/up") == std::optional<std::string_view>("gw-1"));
  CHECK_FALSE(topics::gatewayOfUpTopic("dots/v1/gw-1/ack").has_value());
  CHECK_FALSE(topics::gatewayOfUpTopic("dots/v1//up").has_value());
  CHECK_FALSE(topics::gatewayOfUpTopic("dots/v1/a/b/up").has_value());
  CHECK_FALSE(topics::gatewayOfUpTopic("other/v1/gw/up").has_value());
  CHECK(topics::up("g") == "dots/v1/g/up");
  CHECK(topics::ack("g") == "dots/v1/g/ack");
}

TEST_CASE("topics: isValidName takes 1-64 characters of A-Z a-z 0-9 - _ .") {
  CHECK(topics::isValidName("gw-1_a.B"));
  CHECK(topics::isValidName(std::string(64, 'x')));
  CHECK_FALSE(topics::isValidName(std::string(65, 'x')));
  CHECK_FALSE(topics::isValidName(""));
  using namespace std::string_view_literals;
  for (std::string_view bad : {"a/b"sv, "a+"sv, "#"sv, "a b"sv, "é"sv, "a\0b"sv}) {
    CHECK_FALSE(topics::isValidName(bad));
  }
}
