#include "gateway/uplink/sealer.h"

#include <stdexcept>

#include "shared/codec/batch_codec.h"
#include "shared/seal/keys.h"

namespace dots::gateway {

Sealer::Sealer(SealerOptions options) : options_(std::move(options)) {}
Sealer::~Sealer() = default;

void Sealer::beginRun(std::uint64_t run, std::uint32_t epoch) {
  gcm_ = std::make_unique<seal::AesGcm>(seal::deriveKey(options_.key, seal::Purpose::kUplinkSeal,
                                                        options_.gateway_id, options_.key_id, run));
  run_ = run;
  epoch_ = epoch;
  next_seq_ = 0;
}

SealedBatch Sealer::seal(const Batch& batch) {
  if (!gcm_) throw std::logic_error("Sealer::seal before beginRun");
  seal::EnvelopeHeader header{options_.gateway_id, options_.key_id, epoch_, next_seq_++, run_};
  return {run_, header.epoch, header.seq, static_cast<std::uint32_t>(batch.readings.size()),
          seal::sealEnvelope(*gcm_, header, codec::encodeBatch(batch), options_.compress)};
}

}  // namespace dots::gateway
