#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/model/reading.h"
#include "shared/seal/envelope.h"

namespace dots::gateway {

struct SealerOptions {
  std::string gateway_id;
  std::uint32_t key_id = 1;
  seal::Key key{};
  bool compress = true;  // zstd before sealing
};

struct SealedBatch {
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint32_t readings = 0;
  std::vector<std::uint8_t> envelope;
};

// Encodes, compresses and seals batches under (epoch, seq): seq counts from 0 within an epoch
// the caller has durably reserved, so no (key, nonce) pair is ever used twice. Not thread-safe.
class Sealer {
 public:
  explicit Sealer(SealerOptions options);

  // Starts sealing under `epoch`, from seq 0.
  void beginEpoch(std::uint32_t epoch);
  SealedBatch seal(const Batch& batch);
  std::uint32_t epoch() const { return epoch_; }

 private:
  SealerOptions options_;
  seal::AesGcm gcm_;
  std::uint32_t epoch_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace dots::gateway
