#include "shared/codec/ack_codec.h"

#include <doctest/doctest.h>

using namespace dots::codec;

TEST_CASE("ack ranges: merges consecutive sequence numbers per epoch") {
  auto ranges = toRanges({{2, 5}, {1, 3}, {1, 1}, {1, 2}, {2, 7}, {2, 6}, {1, 9}, {1, 2}});
  std::vector<SeqRange> expected{{1, 1, 3}, {1, 9, 9}, {2, 5, 7}};
  CHECK(ranges == expected);
}

TEST_CASE("ack codec: round trip") {
  std::vector<SeqRange> in{{1, 0, 10}, {2, 5, 5}};
  auto out = decodeAck(encodeAck(in));
  REQUIRE(out.has_value());
  CHECK(*out == in);
}

TEST_CASE("ack codec: rejects truncated, garbage and inverted ranges") {
  auto bytes = encodeAck({{1, 0, 10}});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(decodeAck(cut).has_value());
  }
  auto inverted = decodeAck(encodeAck({{1, 10, 3}}));
  REQUIRE_FALSE(inverted.has_value());
  CHECK(inverted.error().reason == "malformed");
}
