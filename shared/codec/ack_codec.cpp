#include "shared/codec/ack_codec.h"

#include <algorithm>
#include <string>

#include "dots/wire/ack_generated.h"
#include "shared/codec/aligned_bytes.h"

namespace dots::codec {

std::vector<SeqRange> toRanges(std::vector<BatchId> ids) {
  std::sort(ids.begin(), ids.end());
  std::vector<SeqRange> ranges;
  for (const BatchId& id : ids) {
    if (!ranges.empty() && ranges.back().epoch == id.epoch &&
        (ranges.back().last == id.seq || ranges.back().last + 1 == id.seq)) {
      ranges.back().last = id.seq;
    } else {
      ranges.push_back({id.epoch, id.seq, id.seq});
    }
  }
  return ranges;
}

std::vector<std::uint8_t> encodeAck(const std::vector<SeqRange>& ranges) {
  flatbuffers::FlatBufferBuilder fbb(64 + ranges.size() * 24);
  std::vector<wire::SeqRange> fb_ranges;
  fb_ranges.reserve(ranges.size());
  for (const SeqRange& r : ranges) fb_ranges.emplace_back(r.epoch, r.first, r.last);
  auto root = wire::CreateAck(fbb, 1, fbb.CreateVectorOfStructs(fb_ranges));
  wire::FinishAckBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

Result<std::vector<SeqRange>> decodeAck(std::span<const std::uint8_t> received) {
  AlignedBytes aligned(received);
  std::span<const std::uint8_t> bytes = aligned.span();
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), 4, 16);
  if (!wire::VerifyAckBuffer(verifier)) {
    return fail("malformed", "ack fails FlatBuffers verification");
  }
  const wire::Ack* ack = wire::GetAck(bytes.data());
  if (ack->version() != 1) return fail("version", "ack version " + std::to_string(ack->version()));
  std::vector<SeqRange> out;
  if (ack->ranges()) {
    for (const wire::SeqRange* r : *ack->ranges()) {
      if (r->last() < r->first()) return fail("malformed", "ack range ends before it starts");
      out.push_back({r->epoch(), r->first(), r->last()});
    }
  }
  return out;
}

}  // namespace dots::codec
