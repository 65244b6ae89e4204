#include "gateway/uplink/sealer.h"

#include "shared/codec/batch_codec.h"

namespace dots::gateway {

Sealer::Sealer(SealerOptions options) : options_(std::move(options)), gcm_(options_.key) {}

void Sealer::beginEpoch(std::uint32_t epoch) {
  epoch_ = epoch;
  next_seq_ = 0;
}

SealedBatch Sealer::seal(const Batch& batch) {
  seal::EnvelopeHeader header{options_.gateway_id, options_.key_id, epoch_, next_seq_++};
  return {header.epoch, header.seq, static_cast<std::uint32_t>(batch.readings.size()),
          seal::sealEnvelope(gcm_, header, codec::encodeBatch(batch), options_.compress)};
}

}  // namespace dots::gateway
