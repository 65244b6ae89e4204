#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "cloud/store/channel_sink.h"
#include "cloud/store/reading_queries.h"
#include "shared/codec/ack_codec.h"
#include "shared/error/error.h"

namespace dots::cloud {

// The write side of one group of batches: begin, then per batch its idempotency key and what
// its handlers write (the ChannelSink), then commit — or rollback, which undoes all of it.
// A group is one transaction, so a batch's key and its effects commit together. Not
// thread-safe: the commit worker owns it.
class BatchWriter : public ChannelSink {
 public:
  // What the ledger knew of an idempotency key before.
  enum class Recorded {
    kFresh,         // new: recorded now, its effects follow
    kDuplicate,     // stored before with the same digest (a resend): acknowledge again
    kConflict,      // stored before with another digest: a different batch under a used key
    kDeadLettered,  // dead-lettered before with the same digest: tell the gateway again
    kTooOld,        // at or below its run's replay floor, its key pruned: not recorded, refused
  };

  virtual Result<void> begin() = 0;
  // Records a batch's idempotency key with its digest (the seal's tag). A key the ledger no
  // longer holds but its run's replay floor covers is not recorded (kTooOld).
  virtual Result<Recorded> recordBatch(const std::string& gateway, const codec::BatchId& id,
                                       std::span<const std::uint8_t> digest, std::size_t readings,
                                       bool historical) = 0;
  // Records an authentic batch refused for good: its key in the ledger as dead-lettered and the
  // envelope with the reason in the dead-letter table. A key stored or dead-lettered before is
  // left as it is, and what it was is returned.
  virtual Result<Recorded> recordDeadLetter(const std::string& gateway, const codec::BatchId& id,
                                            std::span<const std::uint8_t> digest,
                                            const Error& reason,
                                            std::span<const std::uint8_t> envelope) = 0;
  // Records a push endpoint's idempotency key with the digest of the body it came with: kFresh
  // (its readings follow), kDuplicate (the same body again: answer as before) or kConflict
  // (another body under a used key).
  virtual Result<Recorded> recordPush(const std::string& endpoint, std::string_view key,
                                      std::span<const std::uint8_t> digest,
                                      std::size_t readings) = 0;
  // Records who acknowledged alert `alert_id` and when, if the alert is one of `channel_ids`'
  // (an account's channels); the first acknowledgement stays. False: no such alert there.
  virtual Result<bool> acknowledgeAlert(std::int64_t alert_id,
                                        std::span<const std::int64_t> channel_ids,
                                        const AlertAck& ack) = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
};

}  // namespace dots::cloud
