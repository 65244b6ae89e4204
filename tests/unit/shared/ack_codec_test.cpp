#include "shared/codec/ack_codec.h"

#include <doctest/doctest.h>

#include "shared/seal/keys.h"

using namespace dots;
using namespace dots::codec;

namespace {
const seal::Key kEndpointKey = [] {
  seal::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return k;
}();
const seal::Key kAckKey = seal::deriveKey(kEndpointKey, seal::Purpose::kAck, "gw1", 1);
}  // namespace

TEST_CASE("ack ranges: merges consecutive sequence numbers per run and epoch") {
  auto ranges = toRanges({{5, 2, 5},
                          {5, 1, 3},
                          {5, 1, 1},
                          {5, 1, 2},
                          {5, 2, 7},
                          {5, 2, 6},
                          {5, 1, 9},
                          {5, 1, 2},
                          {6, 1, 4}});
  std::vector<SeqRange> expected{{5, 1, 1, 3}, {5, 1, 9, 9}, {5, 2, 5, 7}, {6, 1, 4, 4}};
  CHECK(ranges == expected);
}

TEST_CASE("ack codec: round trip of stored and dead-lettered ranges") {
  AckContent in{{{9, 1, 0, 10}, {9, 2, 5, 5}}, {{8, 1, 3, 3}}};
  auto out = decodeAck(encodeAck(kAckKey, "gw1", 1, in), "gw1", 1, kAckKey);
  REQUIRE(out.has_value());
  CHECK(*out == in);
}

TEST_CASE("ack codec: a forged, re-addressed or damaged ack is refused") {
  AckContent in{{{9, 1, 0, 10}}, {}};
  auto bytes = encodeAck(kAckKey, "gw1", 1, in);
  // Signed under another key (anyone without the endpoint key): bad-mac.
  seal::Key other = seal::deriveKey(seal::randomKey(), seal::Purpose::kAck, "gw1", 1);
  auto forged = decodeAck(encodeAck(other, "gw1", 1, in), "gw1", 1, kAckKey);
  REQUIRE_FALSE(forged.has_value());
  CHECK(forged.error().reason == "bad-mac");
  // The endpoint key itself, or a key for another purpose, is not the ack key.
  CHECK(decodeAck(encodeAck(kEndpointKey, "gw1", 1, in), "gw1", 1, kAckKey).error().reason ==
        "bad-mac");
  seal::Key seal_key = seal::deriveKey(kEndpointKey, seal::Purpose::kUplinkSeal, "gw1", 1, 0);
  CHECK(decodeAck(encodeAck(seal_key, "gw1", 1, in), "gw1", 1, kAckKey).error().reason ==
        "bad-mac");
  // Another gateway's ack, or one for another key id, is not this gateway's.
  CHECK(decodeAck(bytes, "gw2", 1, kAckKey).error().reason == "other-gateway");
  CHECK(decodeAck(bytes, "gw1", 2, kAckKey).error().reason == "other-key");
  // Every byte flipped: refused, or (padding only) the same content.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] ^= 0x41;
    auto out = decodeAck(damaged, "gw1", 1, kAckKey);
    if (out) CHECK(*out == in);
  }
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(decodeAck(cut, "gw1", 1, kAckKey).has_value());
  }
}

TEST_CASE("ack codec: an authentic ack with an inverted range is malformed") {
  auto inverted = decodeAck(encodeAck(kAckKey, "gw1", 1, {{{9, 1, 10, 3}}, {}}), "gw1", 1, kAckKey);
  REQUIRE_FALSE(inverted.has_value());
  CHECK(inverted.error().reason == "malformed");
}

TEST_CASE("key derivation: one key per purpose, gateway, key id and run") {
  using seal::Purpose;
  std::vector<seal::Key> keys{seal::deriveKey(kEndpointKey, Purpose::kUplinkSeal, "gw1", 1, 1),
                              seal::deriveKey(kEndpointKey, Purpose::kUplinkSeal, "gw1", 1, 2),
                              seal::deriveKey(kEndpointKey, Purpose::kUplinkSeal, "gw2", 1, 1),
                              seal::deriveKey(kEndpointKey, Purpose::kUplinkSeal, "gw1", 2, 1),
                              seal::deriveKey(kEndpointKey, Purpose::kAck, "gw1", 1),
                              seal::deriveKey(kEndpointKey, Purpose::kCommand, "gw1", 1),
                              seal::deriveKey(kEndpointKey, Purpose::kConfig, "gw1", 1),
                              kEndpointKey};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) CHECK(keys[i] != keys[j]);
  }
  // Deterministic: both sides derive the same key.
  CHECK(seal::deriveKey(kEndpointKey, Purpose::kAck, "gw1", 1) == kAckKey);
}
