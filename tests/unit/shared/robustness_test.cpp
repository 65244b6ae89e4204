// Seeded random damage to every parser's input: each damaged input is rejected with a known
// reason or decodes to something self-consistent, never a crash (the suite also runs under
// AddressSanitizer and UndefinedBehaviorSanitizer in CI).
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "shared/codec/ack_codec.h"
#include "shared/codec/batch_codec.h"
#include "shared/seal/envelope.h"
#include "shared/senml/payload_parser.h"

using namespace dots;

namespace {

std::vector<std::uint8_t> damage(std::vector<std::uint8_t> bytes, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kind(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    std::size_t at = rng() % bytes.size();
    switch (kind(rng)) {
      case 0: bytes[at] = static_cast<std::uint8_t>(byte(rng)); break;           // overwrite
      case 1: bytes[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;  // flip a bit
      case 2: bytes.resize(at); break;                                           // truncate
      default:
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                     static_cast<std::uint8_t>(byte(rng)));  // insert
    }
  }
  return bytes;
}

Batch sampleBatch() {
  Batch b;
  for (int i = 0; i < 50; ++i) {
    Reading r{"s" + std::to_string(i % 7),
              i % 2 ? "Cel" : "",
              1700000000000 + i * 10,
              ValueKind::kNumber,
              i * 0.25,
              "",
              {}};
    if (i % 11 == 0) {
      r.kind = ValueKind::kText;
      r.text = "t" + std::to_string(i);
    }
    if (i % 13 == 0) r.sum = i;
    b.readings.push_back(r);
  }
  return b;
}

}  // namespace

TEST_CASE("robustness: damaged batches are rejected or self-consistent") {
  std::mt19937_64 rng(20261124);
  auto good = codec::encodeBatch(sampleBatch());
  const std::set<std::string> reasons{"malformed", "version", "oversize"};
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    auto out = codec::decodeBatch(damage(good, rng));
    if (!out) {
      CHECK(reasons.count(out.error().reason) == 1);
      ++rejected;
      continue;
    }
    CHECK(out->readings.size() <= codec::kMaxReadingsPerBatch);
  }
  CHECK(rejected > 10000);
}

// Bad offsets and out-of-range vectors, systematically: every 32-bit word of a batch (root
// offset, vtable offsets, table field offsets, vector lengths, string lengths) replaced in turn
// by values that point outside the buffer, at the buffer's start, back at itself, or claim huge
// lengths. Each result is rejected or decodes to something that re-encodes.
TEST_CASE("robustness: every word of a batch replaced by a hostile offset or length") {
  auto good = codec::encodeBatch(sampleBatch());
  int tried = 0;
  int rejected = 0;
  for (std::size_t at = 0; at + 4 <= good.size(); at += 4) {
    auto size = static_cast<std::uint32_t>(good.size());
    for (std::uint32_t value : {0u, 1u, 4u, size - 4, size, size + 4, 0x7fffffffu, 0x80000000u,
                                0xfffffff0u, 0xffffffffu, static_cast<std::uint32_t>(-at)}) {
      auto bad = good;
      std::memcpy(bad.data() + at, &value, 4);
      auto out = codec::decodeBatch(bad);
      ++tried;
      if (!out) {
        CAPTURE(out.error().describe());
        CHECK((out.error().reason == "malformed" || out.error().reason == "version" ||
               out.error().reason == "oversize"));
        ++rejected;
        continue;
      }
      CHECK(codec::decodeBatch(codec::encodeBatch(*out)).has_value());
    }
  }
  CHECK(tried > 1000);
  CHECK(rejected > tried / 4);
  MESSAGE(tried, " hostile words tried, ", rejected, " rejected");
}

TEST_CASE("robustness: damaged envelopes never open") {
  std::mt19937_64 rng(7);
  seal::Key key{};
  key.fill(9);
  seal::AesGcm gcm(key);
  auto plain = codec::encodeBatch(sampleBatch());
  auto good = seal::sealEnvelope(gcm, {"gw", 1, 2, 3}, plain, true);
  const std::set<std::string> reasons{"malformed", "version",   "oversize",
                                      "bad-tag",   "bad-nonce", "bad-compression"};
  int opened = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = damage(good, rng);
    auto view = seal::readEnvelope(bytes);
    if (!view) {
      CHECK(reasons.count(view.error().reason) == 1);
      continue;
    }
    auto out = seal::openEnvelope(gcm, *view);
    if (!out) {
      CHECK(reasons.count(out.error().reason) == 1);
      continue;
    }
    // Only damage to bytes the reader ignores (padding) can leave it openable, unchanged.
    CHECK(*out == plain);
    ++opened;
  }
  CHECK(opened < 2000);
}

TEST_CASE("robustness: damaged acks are rejected or well-formed") {
  std::mt19937_64 rng(11);
  seal::Key key = seal::randomKey();
  codec::AckContent content{{{7, 1, 0, 10}, {7, 2, 5, 9}}, {{7, 3, 1, 1}}};
  auto good = codec::encodeAck(key, "gw", 1, content);
  for (int i = 0; i < 10000; ++i) {
    auto out = codec::decodeAck(damage(good, rng), "gw", 1, key);
    if (!out) continue;
    CHECK(*out == content);  // authentic: only padding was damaged
  }
}

TEST_CASE("robustness: damaged sensor payloads are rejected whole with a known reason") {
  std::mt19937_64 rng(3);
  std::string senml =
      R"([{"bn":"dev:","bt":1700000000,"bu":"Cel","n":"a","v":1.5},{"n":"b","t":1,"vs":"x"},)"
      R"({"n":"c","vb":true,"s":2},{"n":"d","vd":"aGk"}])";
  std::vector<std::uint8_t> good(senml.begin(), senml.end());
  const std::set<std::string> reasons{
      "bad-json",       "unsupported-payload", "senml-bad-field",       "senml-no-name",
      "senml-bad-name", "senml-version",       "senml-must-understand", "senml-bad-time",
      "oversize"};
  senml::PayloadParser parser;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = damage(good, rng);
    std::vector<Reading> out;
    auto r =
        parser.parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     "topic", 1700000000000, out);
    if (!r) {
      CHECK(reasons.count(r.error().reason) == 1);
      CHECK(out.empty());
    }
  }
}

TEST_CASE("robustness: hostile sensor payloads") {
  senml::PayloadParser parser;
  std::vector<Reading> out;
  auto reason = [&](const std::string& payload) {
    out.clear();
    auto r = parser.parse(payload, "topic", 1, out);
    return r ? std::string("accepted") : r.error().reason;
  };
  CHECK(reason(std::string(100000, '[') + std::string(100000, ']')) == "bad-json");  // deep
  CHECK(reason("[{\"n\":\"a\xff\xfe\",\"v\":1}]") == "bad-json");                    // bad UTF-8
  CHECK(reason("[{\"n\":\"a\",\"v\":NaN}]") == "bad-json");
  CHECK(reason("[{\"n\":\"a\",\"v\":Infinity}]") == "bad-json");
  CHECK(reason("[{\"n\":\"a\",\"v\":1e400}]") == "bad-json");
  CHECK(reason("[{\"v\":1}]") == "accepted");                              // named by the topic
  CHECK(reason("[{\"n\":\"\",\"bn\":\"\",\"v\":1}]") == "senml-no-name");  // explicitly empty
  CHECK(reason("[{\"n\":\"a\",\"t\":1e300,\"v\":1}]") == "senml-bad-time");
  CHECK(reason(std::string(300, 'a').insert(0, "[{\"n\":\"").append("\",\"v\":1}]")) ==
        "senml-bad-name");
  CHECK(reason("") == "bad-json");
}

// Found by fuzz/envelope_fuzz.cpp: FlatBuffers read scalars in place, so a buffer starting at an
// odd address was read misaligned (undefined behaviour, reported by UBSan, which the sanitizer
// suite runs with). Every decoder now works on any address and gives the same result.
TEST_CASE("robustness: envelopes, batches and acks decode the same at any address") {
  seal::Key key = seal::randomKey();
  seal::AesGcm gcm(key);
  std::vector<std::uint8_t> plain = codec::encodeBatch(sampleBatch());
  std::vector<std::uint8_t> sealed =
      seal::sealEnvelope(gcm, {"gw-a", 1, 9, 42}, plain, /*use_zstd=*/true);
  std::vector<std::uint8_t> ack = codec::encodeAck(key, "gw-a", 1, {{{3, 9, 40, 44}}, {}});
  for (std::size_t shift = 1; shift < 8; ++shift) {
    CAPTURE(shift);
    auto at = [&](const std::vector<std::uint8_t>& bytes) {
      auto buffer = std::make_shared<std::vector<std::uint8_t>>(shift + bytes.size());
      std::copy(bytes.begin(), bytes.end(), buffer->begin() + static_cast<std::ptrdiff_t>(shift));
      return std::make_pair(buffer,
                            std::span<const std::uint8_t>(buffer->data() + shift, bytes.size()));
    };
    auto [env_buffer, env_bytes] = at(sealed);
    auto view = seal::readEnvelope(env_bytes);
    REQUIRE(view.has_value());
    // The view points into the buffer given, not into a copy.
    CHECK(view->ciphertext.data() >= env_bytes.data());
    CHECK(view->ciphertext.data() + view->ciphertext.size() <= env_bytes.data() + env_bytes.size());
    auto opened = seal::openEnvelope(gcm, *view);
    REQUIRE(opened.has_value());
    CHECK(*opened == plain);

    auto [batch_buffer, batch_bytes] = at(plain);
    auto batch = codec::decodeBatch(batch_bytes);
    REQUIRE(batch.has_value());
    CHECK(batch->readings == codec::decodeBatch(plain)->readings);
    CHECK(batch->readings.size() == sampleBatch().readings.size());

    auto [ack_buffer, ack_bytes] = at(ack);
    auto decoded = codec::decodeAck(ack_bytes, "gw-a", 1, key);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->stored.size() == 1);
    CHECK(decoded->stored[0].first == 40);
  }
}
