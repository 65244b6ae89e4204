#pragma once

#include <cstdint>
#include <memory>
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
  std::uint64_t run = 0;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint32_t readings = 0;
  std::vector<std::uint8_t> envelope;
};

// Encodes, compresses and seals batches under (run, epoch, seq). Each run (a random value drawn
// at every start) seals under a key of its own, derived from the endpoint key; seq counts from 0
// within it, so no (key, nonce) pair is ever used twice, whatever the clock or the spool. The
// epoch, durably reserved in the spool, orders runs. Not thread-safe.
class Sealer {
 public:
  explicit Sealer(SealerOptions options);
  ~Sealer();

  // Starts sealing run `run` (non-zero, random) under `epoch`, from seq 0.
  void beginRun(std::uint64_t run, std::uint32_t epoch);
  SealedBatch seal(const Batch& batch);
  std::uint64_t run() const { return run_; }
  std::uint32_t epoch() const { return epoch_; }
  // The seq the next batch gets: every seq below it was used in this run.
  std::uint64_t nextSeq() const { return next_seq_; }

 private:
  SealerOptions options_;
  std::unique_ptr<seal::AesGcm> gcm_;  // under this run's key
  std::uint64_t run_ = 0;
  std::uint32_t epoch_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace dots::gateway
