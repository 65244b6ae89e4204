// The ingester's path for a message on dots/v1/<gateway>/up: read the envelope, verify and open
// it, decompress, decode the batch. The first byte picks what the rest is:
//   0: an envelope as received (seeds are envelopes sealed under the key below, so mutations
//      reach deep into the structure checks and, when they keep the tag, the decoder);
//   1: a batch plaintext, sealed here and opened again, so the decoder sees every shape;
//   2: a zstd frame for the decompressor with its size limit.
#include <cstdlib>

#include "shared/codec/ack_codec.h"
#include "shared/codec/batch_codec.h"
#include "shared/compress/zstd_codec.h"
#include "shared/seal/envelope.h"

namespace {
dots::seal::Key fuzzKey() {
  dots::seal::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x42 + i);
  return key;
}

// A decoded batch encodes and decodes to itself.
void checkRoundTrip(const dots::Batch& batch) {
  auto again = dots::codec::decodeBatch(dots::codec::encodeBatch(batch));
  if (!again || again->readings.size() != batch.readings.size()) std::abort();
  if (again->historical != batch.historical) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static dots::seal::AesGcm gcm(fuzzKey());
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto envelope = dots::seal::readEnvelope(rest);
      if (!envelope) return 0;
      auto plain = dots::seal::openEnvelope(gcm, *envelope);
      if (!plain) return 0;
      if (auto batch = dots::codec::decodeBatch(*plain)) checkRoundTrip(*batch);
      return 0;
    }
    case 1: {
      bool zstd = size > 1 && (data[1] & 1);
      dots::seal::EnvelopeHeader header{"gw-fuzz", 1, 7, size};
      auto sealed = dots::seal::sealEnvelope(gcm, header, rest, zstd);
      auto envelope = dots::seal::readEnvelope(sealed);
      if (!envelope) std::abort();  // what we seal must read back
      auto plain = dots::seal::openEnvelope(gcm, *envelope);
      if (!plain || !std::equal(plain->begin(), plain->end(), rest.begin(), rest.end())) {
        std::abort();
      }
      if (auto batch = dots::codec::decodeBatch(*plain)) checkRoundTrip(*batch);
      return 0;
    }
    case 3: {
      // Acks as the gateway reads them: only an authentic one may decode.
      static const dots::seal::Key ack_key = fuzzKey();
      auto ack = dots::codec::decodeAck(rest, "gw-fuzz", 1, ack_key);
      if (ack) {
        for (const auto& r : ack->stored) {
          if (r.last < r.first) std::abort();
        }
      }
      return 0;
    }
    default: {
      auto out = dots::compress::decompress(rest, dots::seal::kMaxPlaintextBytes);
      if (out && out->size() > dots::seal::kMaxPlaintextBytes) std::abort();
      return 0;
    }
  }
}
