#include "shared/codec/ack_codec.h"

#include <algorithm>
#include <string>

#include "dots/wire/ack_generated.h"
#include "shared/codec/aligned_bytes.h"
#include "shared/seal/keys.h"

namespace dots::codec {

namespace {

constexpr std::uint16_t kAckVersion = 2;
// Ranges in one ack, at most (an ack covers one commit group of one gateway).
constexpr std::size_t kMaxRanges = 100000;

// What the MAC covers: a label, the gateway id, the key id and the body, length-prefixed.
std::vector<std::uint8_t> macInput(std::string_view gateway, std::uint32_t key_id,
                                   std::span<const std::uint8_t> body) {
  static constexpr std::string_view kLabel = "dots/v2 ack";
  std::vector<std::uint8_t> in(kLabel.begin(), kLabel.end());
  in.reserve(in.size() + 8 + gateway.size() + body.size());
  in.push_back(0);
  in.push_back(static_cast<std::uint8_t>(gateway.size() >> 8));
  in.push_back(static_cast<std::uint8_t>(gateway.size()));
  in.insert(in.end(), gateway.begin(), gateway.end());
  for (int i = 3; i >= 0; --i) in.push_back(static_cast<std::uint8_t>(key_id >> (8 * i)));
  in.insert(in.end(), body.begin(), body.end());
  return in;
}

flatbuffers::Offset<flatbuffers::Vector<const wire::SeqRange*>> rangesOf(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<SeqRange>& ranges) {
  std::vector<wire::SeqRange> out;
  out.reserve(ranges.size());
  for (const SeqRange& r : ranges) out.emplace_back(r.run, r.epoch, r.first, r.last);
  return fbb.CreateVectorOfStructs(out);
}

Result<void> readRanges(const flatbuffers::Vector<const wire::SeqRange*>* in,
                        std::vector<SeqRange>& out) {
  if (!in) return {};
  if (in->size() > kMaxRanges) return fail("malformed", "too many ranges in an ack");
  for (const wire::SeqRange* r : *in) {
    if (r->last() < r->first()) return fail("malformed", "ack range ends before it starts");
    out.push_back({r->run(), r->epoch(), r->first(), r->last()});
  }
  return {};
}

}  // namespace

std::vector<SeqRange> toRanges(std::vector<BatchId> ids) {
  std::sort(ids.begin(), ids.end());
  std::vector<SeqRange> ranges;
  for (const BatchId& id : ids) {
    if (!ranges.empty() && ranges.back().run == id.run && ranges.back().epoch == id.epoch &&
        (ranges.back().last == id.seq || ranges.back().last + 1 == id.seq)) {
      ranges.back().last = id.seq;
    } else {
      ranges.push_back({id.run, id.epoch, id.seq, id.seq});
    }
  }
  return ranges;
}

std::vector<std::uint8_t> encodeAck(const seal::Key& ack_key, std::string_view gateway,
                                    std::uint32_t key_id, const AckContent& content) {
  flatbuffers::FlatBufferBuilder inner(64 + (content.stored.size() + content.rejected.size()) * 32);
  auto stored = rangesOf(inner, content.stored);
  auto rejected = rangesOf(inner, content.rejected);
  inner.Finish(wire::CreateAck(inner, kAckVersion, stored, rejected));
  std::span<const std::uint8_t> body(inner.GetBufferPointer(), inner.GetSize());
  seal::Mac mac = seal::hmacSha256(ack_key, macInput(gateway, key_id, body));

  flatbuffers::FlatBufferBuilder fbb(128 + body.size());
  auto gw = fbb.CreateString(gateway.data(), gateway.size());
  auto body_vec = fbb.CreateVector(body.data(), body.size());
  auto mac_vec = fbb.CreateVector(mac.data(), mac.size());
  wire::FinishSignedAckBuffer(
      fbb, wire::CreateSignedAck(fbb, kAckVersion, gw, key_id, body_vec, mac_vec));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

Result<AckContent> decodeAck(std::span<const std::uint8_t> received, std::string_view gateway,
                             std::uint32_t key_id, const seal::Key& ack_key) {
  AlignedBytes aligned(received);
  std::span<const std::uint8_t> bytes = aligned.span();
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), 4, 16);
  if (!wire::VerifySignedAckBuffer(verifier)) {
    return fail("malformed", "ack fails FlatBuffers verification");
  }
  const wire::SignedAck* signed_ack = wire::GetSignedAck(bytes.data());
  if (signed_ack->version() != kAckVersion) {
    return fail("version", "ack version " + std::to_string(signed_ack->version()));
  }
  if (signed_ack->gateway()->string_view() != gateway) {
    return fail("other-gateway", "ack for another gateway");
  }
  if (signed_ack->key_id() != key_id) {
    return fail("other-key", "ack signed under key id " + std::to_string(signed_ack->key_id()));
  }
  if (!signed_ack->body() || !signed_ack->mac()) return fail("malformed", "ack lacks body or mac");
  std::span<const std::uint8_t> body(signed_ack->body()->data(), signed_ack->body()->size());
  seal::Mac expected = seal::hmacSha256(ack_key, macInput(gateway, key_id, body));
  if (!seal::equalInConstantTime(expected,
                                 {signed_ack->mac()->data(), signed_ack->mac()->size()})) {
    return fail("bad-mac", "ack fails authentication (forged or damaged)");
  }
  // Authentic from here on; still verified before it is read.
  AlignedBytes body_aligned(body);
  flatbuffers::Verifier body_verifier(body_aligned.span().data(), body_aligned.span().size(), 4,
                                      16);
  if (!body_verifier.VerifyBuffer<wire::Ack>(nullptr)) {
    return fail("malformed", "ack body fails FlatBuffers verification");
  }
  const auto* ack = flatbuffers::GetRoot<wire::Ack>(body_aligned.span().data());
  if (ack->version() != kAckVersion) {
    return fail("version", "ack body version " + std::to_string(ack->version()));
  }
  AckContent content;
  if (auto r = readRanges(ack->ranges(), content.stored); !r) return std::unexpected(r.error());
  if (auto r = readRanges(ack->rejected(), content.rejected); !r) {
    return std::unexpected(r.error());
  }
  return content;
}

}  // namespace dots::codec
