#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/codec/batch_codec.h"
#include "shared/seal/envelope.h"
#include "shared/seal/keys.h"

namespace dots::test {

// Seals `batch` as gateway `gateway` does in run `run`: under the run's key derived from the
// endpoint key.
inline std::vector<std::uint8_t> sealAsGateway(const seal::Key& endpoint_key,
                                               const std::string& gateway, std::uint32_t key_id,
                                               std::uint64_t run, std::uint32_t epoch,
                                               std::uint64_t seq,
                                               const std::vector<std::uint8_t>& plaintext,
                                               bool zstd = true) {
  seal::AesGcm gcm(seal::deriveKey(endpoint_key, seal::Purpose::kUplinkSeal, gateway, key_id, run));
  return seal::sealEnvelope(gcm, {gateway, key_id, epoch, seq, run}, plaintext, zstd);
}

inline std::vector<std::uint8_t> sealAsGateway(const seal::Key& endpoint_key,
                                               const std::string& gateway, std::uint32_t key_id,
                                               std::uint64_t run, std::uint32_t epoch,
                                               std::uint64_t seq, const Batch& batch) {
  return sealAsGateway(endpoint_key, gateway, key_id, run, epoch, seq, codec::encodeBatch(batch));
}

}  // namespace dots::test
