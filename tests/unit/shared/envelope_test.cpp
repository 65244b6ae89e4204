#include "shared/seal/envelope.h"

#include <doctest/doctest.h>

#include <string>

using namespace dots;
using namespace dots::seal;

namespace {
std::vector<std::uint8_t> bytesOf(const std::string& s) {
  return {s.begin(), s.end()};
}

Key keyFilledWith(std::uint8_t b) {
  Key k{};
  k.fill(b);
  return k;
}

const EnvelopeHeader kHeader{"gw-1", 1, 1700000000, 42};
}  // namespace

TEST_CASE("envelope: seal then open returns the plaintext, with and without zstd") {
  AesGcm gcm(keyFilledWith(7));
  std::string text(5000, 'x');
  for (bool zstd : {false, true}) {
    auto sealed = sealEnvelope(gcm, kHeader, bytesOf(text), zstd);
    auto view = readEnvelope(sealed);
    REQUIRE(view.has_value());
    CHECK(view->header.gateway == "gw-1");
    CHECK(view->header.key_id == 1);
    CHECK(view->header.epoch == 1700000000u);
    CHECK(view->header.seq == 42u);
    CHECK(view->compressed == zstd);
    auto plain = openEnvelope(gcm, *view);
    REQUIRE(plain.has_value());
    CHECK(*plain == bytesOf(text));
    if (zstd) CHECK(sealed.size() < 500);  // 5000 repeated bytes compress well
  }
}

TEST_CASE("envelope: the ciphertext does not contain the plaintext") {
  AesGcm gcm(keyFilledWith(7));
  std::string secret = "temperature-sensor-secret-name";
  auto sealed = sealEnvelope(gcm, kHeader, bytesOf(secret), false);
  std::string raw(sealed.begin(), sealed.end());
  CHECK(raw.find(secret) == std::string::npos);
}

TEST_CASE("envelope: a wrong key fails with bad-tag") {
  AesGcm right(keyFilledWith(1));
  AesGcm wrong(keyFilledWith(2));
  auto sealed = sealEnvelope(right, kHeader, bytesOf("reading"), true);
  auto view = readEnvelope(sealed);
  REQUIRE(view.has_value());
  auto plain = openEnvelope(wrong, *view);
  REQUIRE_FALSE(plain.has_value());
  CHECK(plain.error().reason == "bad-tag");
}

TEST_CASE("envelope: every single-byte change of the ciphertext is rejected") {
  AesGcm gcm(keyFilledWith(3));
  auto sealed = sealEnvelope(gcm, kHeader, bytesOf("a batch of readings"), false);
  auto view = readEnvelope(sealed);
  REQUIRE(view.has_value());
  std::size_t start = static_cast<std::size_t>(view->ciphertext.data() - sealed.data());
  for (std::size_t i = start; i < start + view->ciphertext.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x01;
    auto v = readEnvelope(tampered);
    REQUIRE(v.has_value());
    auto plain = openEnvelope(gcm, *v);
    REQUIRE_FALSE(plain.has_value());
    CHECK(plain.error().reason == "bad-tag");
  }
}

TEST_CASE("envelope: any single-byte change anywhere never opens to different plaintext") {
  AesGcm gcm(keyFilledWith(3));
  auto plaintext = bytesOf("a batch of readings");
  auto sealed = sealEnvelope(gcm, kHeader, plaintext, false);
  int opened = 0;
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x80;
    auto v = readEnvelope(tampered);
    if (!v) continue;  // structurally rejected
    auto plain = openEnvelope(gcm, *v);
    if (!plain) continue;  // authentication rejected
    // Only bytes FlatBuffers ignores (padding) may change without effect.
    CHECK(*plain == plaintext);
    CHECK(v->header.gateway == kHeader.gateway);
    CHECK(v->header.seq == kHeader.seq);
    CHECK(v->header.epoch == kHeader.epoch);
    CHECK(v->header.key_id == kHeader.key_id);
    ++opened;
  }
  // Only a few padding and unread vtable bytes may change without effect.
  CHECK(opened < static_cast<int>(sealed.size() / 4));
}

TEST_CASE("envelope: a changed header (AAD) fails, even re-encoded consistently") {
  AesGcm gcm(keyFilledWith(4));
  auto sealed = sealEnvelope(gcm, kHeader, bytesOf("payload"), false);
  auto view = readEnvelope(sealed);
  REQUIRE(view.has_value());

  SUBCASE("another gateway id") {
    EnvelopeView other = *view;
    other.header.gateway = "gw-2";
    auto r = openEnvelope(gcm, other);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "bad-tag");
  }
  SUBCASE("another key id") {
    EnvelopeView other = *view;
    other.header.key_id = 2;
    auto r = openEnvelope(gcm, other);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "bad-tag");
  }
  SUBCASE("another epoch or seq changes the expected nonce") {
    EnvelopeView other = *view;
    other.header.seq = 43;
    auto r = openEnvelope(gcm, other);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "bad-nonce");
  }
  SUBCASE("compression flag flipped") {
    EnvelopeView other = *view;
    other.compressed = true;
    auto r = openEnvelope(gcm, other);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "bad-tag");
  }
}

TEST_CASE("envelope: nonces differ for every (epoch, seq)") {
  CHECK(nonceFor(1, 2) != nonceFor(2, 1));
  CHECK(nonceFor(1, 2) != nonceFor(1, 3));
  auto n = nonceFor(0x01020304, 0x0506070809101112ull);
  std::array<std::uint8_t, 12> expected{1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x11, 0x12};
  CHECK(n == expected);
}

TEST_CASE("envelope: structural rejections") {
  std::vector<std::uint8_t> garbage(100, 0x5A);
  auto r = readEnvelope(garbage);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().reason == "malformed");

  std::vector<std::uint8_t> huge(kMaxEnvelopeBytes + 1, 0);
  auto big = readEnvelope(huge);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().reason == "oversize");
}

TEST_CASE("random keys differ") {
  CHECK(randomKey() != randomKey());
}
