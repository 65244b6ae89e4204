#include "shared/codec/batch_codec.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

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

// Found by fuzz/envelope_fuzz.cpp: a base time and delta whose sum overflowed int64 (undefined
// behaviour) and decoded to a time no SenML record can carry. Times beyond ±10^16 ms are now
// malformed; the extremes themselves still travel.
TEST_CASE("batch codec: reading times beyond the range are malformed, the extremes travel") {
  auto batchAt = [](std::vector<std::int64_t> times) {
    Batch b;
    for (std::int64_t t : times) b.readings.push_back({"s", "", t, ValueKind::kNumber, 1, "", {}});
    return codec::encodeBatch(b);
  };
  auto extremes = codec::decodeBatch(batchAt({-kMaxAbsTimeMs, kMaxAbsTimeMs}));
  REQUIRE(extremes.has_value());
  CHECK(extremes->readings[0].time_ms == -kMaxAbsTimeMs);
  CHECK(extremes->readings[1].time_ms == kMaxAbsTimeMs);
  for (auto times : std::vector<std::vector<std::int64_t>>{
           {kMaxAbsTimeMs + 1},         // the base itself
           {0, 3 * kMaxAbsTimeMs},      // a delta
           {INT64_MAX - 1, INT64_MAX},  // where the sum used to overflow
           {INT64_MIN}}) {
    auto r = codec::decodeBatch(batchAt(times));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "malformed");
  }
}

// Every input a fuzzer once crashed on is kept as fuzz/corpus/envelope/regress-*; the first
// byte says what the rest is (see fuzz/envelope_fuzz.cpp: 1 = a batch plaintext). Each must now
// be rejected as malformed, at an aligned address and at an odd one.
TEST_CASE("batch codec: the batches the fuzzer crashed on are malformed, not undefined") {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DOTS_FUZZ_CORPUS_DIR "/envelope")) {
    if (!entry.path().filename().string().starts_with("regress-")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    REQUIRE(bytes.size() > 1);
    CAPTURE(entry.path().string());
    REQUIRE(bytes[0] % 3 == 1);
    std::vector<std::uint8_t> plain(bytes.begin() + 1, bytes.end());
    auto aligned = codec::decodeBatch(plain);
    REQUIRE_FALSE(aligned.has_value());
    CHECK(aligned.error().reason == "malformed");
    auto odd = codec::decodeBatch(std::span<const std::uint8_t>(bytes).subspan(1));
    REQUIRE_FALSE(odd.has_value());
    CHECK(odd.error().reason == "malformed");
    ++checked;
  }
  CHECK(checked >= 2);
}

// Also from the fuzzer: an empty 8-byte vector may sit anywhere; it has nothing to misread, so
// an empty batch from any encoder decodes.
TEST_CASE("batch codec: an empty batch with unaligned empty vectors decodes") {
  std::ifstream in(DOTS_FUZZ_CORPUS_DIR "/envelope/seed-empty-batch-roundtrip", std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(bytes.size() > 1);
  auto batch = codec::decodeBatch(std::vector<std::uint8_t>(bytes.begin() + 1, bytes.end()));
  REQUIRE(batch.has_value());
  CHECK(batch->readings.empty());
  auto again = codec::decodeBatch(codec::encodeBatch(*batch));
  REQUIRE(again.has_value());
  CHECK(again->readings.empty());
}
