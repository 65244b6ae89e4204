#include "codec/batch_codec.h"

#include <doctest/doctest.h>

using namespace dots;

namespace {
Batch sampleBatch() {
  Batch b;
  b.historical = true;
  b.readings.push_back({"room1/temp", "Cel", 1700000000123, ValueKind::kNumber, 21.5, "", {}});
  b.readings.push_back({"room1/temp", "Cel", 1700000000000, ValueKind::kNumber, -3.25, "", 7.5});
  b.readings.push_back({"door", "", 1700000001000, ValueKind::kBoolean, 1, "", {}});
  b.readings.push_back({"label", "", 1700000002000, ValueKind::kText, 0, "Machine Room", {}});
  b.readings.push_back({"blob", "", 1700000002000, ValueKind::kData, 0, "aGkgCg", {}});
  return b;
}
}  // namespace

TEST_CASE("batch codec: round trip keeps every field of every reading") {
  Batch in = sampleBatch();
  auto bytes = codec::encodeBatch(in);
  auto out = codec::decodeBatch(bytes);
  REQUIRE(out.has_value());
  CHECK(out->historical);
  REQUIRE(out->readings.size() == in.readings.size());
  for (std::size_t i = 0; i < in.readings.size(); ++i) CHECK(out->readings[i] == in.readings[i]);
}

TEST_CASE("batch codec: an all-numeric batch carries no kind or text columns") {
  Batch numeric;
  for (int i = 0; i < 100; ++i) {
    numeric.readings.push_back({"s" + std::to_string(i % 10),
                                "Cel",
                                1700000000000 + i,
                                ValueKind::kNumber,
                                i * 0.5,
                                "",
                                {}});
  }
  auto bytes = codec::encodeBatch(numeric);
  auto out = codec::decodeBatch(bytes);
  REQUIRE(out.has_value());
  CHECK(out->readings == numeric.readings);
  // Per reading only index (4) + time delta (8) + value (8) bytes, before compression; names
  // appear once per series.
  CHECK(bytes.size() < 100 * 21 + 10 * 16 + 200);
}

TEST_CASE("batch codec: empty batch") {
  auto out = codec::decodeBatch(codec::encodeBatch(Batch{}));
  REQUIRE(out.has_value());
  CHECK(out->readings.empty());
}

TEST_CASE("batch codec: a truncated batch is rejected, or (trailing padding only) unchanged") {
  Batch in = sampleBatch();
  auto bytes = codec::encodeBatch(in);
  std::size_t rejected = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    auto out = codec::decodeBatch(cut);
    if (out) {
      CHECK(out->readings == in.readings);
    } else {
      CHECK(out.error().reason == "malformed");
      ++rejected;
    }
  }
  CHECK(rejected >= bytes.size() - 8);
}

TEST_CASE("batch codec: garbage and foreign buffers are rejected") {
  std::vector<std::uint8_t> garbage(64, 0xAB);
  CHECK_FALSE(codec::decodeBatch(garbage).has_value());
  std::vector<std::uint8_t> ack_like = {8, 0, 0, 0, 'D', 'T', 'A', '1', 0, 0, 0, 0};
  CHECK_FALSE(codec::decodeBatch(ack_like).has_value());
}

TEST_CASE("batch codec: a series index out of range is malformed, not a crash") {
  Batch b;
  b.readings.push_back({"a", "", 1, ValueKind::kNumber, 1, "", {}});
  auto bytes = codec::encodeBatch(b);
  // The single uint32 series index 0 is the only 4-byte zero preceded by a length of 1; patch
  // every candidate to a large index and require that none decodes to a reading of series 0.
  int rejected = 0;
  for (std::size_t i = 4; i + 4 <= bytes.size(); i += 4) {
    if (bytes[i - 4] == 1 && bytes[i - 3] == 0 && bytes[i - 2] == 0 && bytes[i - 1] == 0 &&
        bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 0 && bytes[i + 3] == 0) {
      auto patched = bytes;
      patched[i] = 7;
      auto out = codec::decodeBatch(patched);
      if (!out) {
        CHECK(out.error().reason == "malformed");
        ++rejected;
      }
    }
  }
  CHECK(rejected >= 1);
}
