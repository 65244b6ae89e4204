#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cloud/store/channel_sink.h"
#include "shared/error/error.h"

namespace dots::cloud {

// The write side of one group of batches: begin, then per batch its idempotency key and what
// its handlers write (the ChannelSink), then commit — or rollback, which undoes all of it.
// A group is one transaction, so a batch's key and its effects commit together. Not
// thread-safe: the commit worker owns it.
class BatchWriter : public ChannelSink {
 public:
  virtual Result<void> begin() = 0;
  // Records a batch's idempotency key; false when it was recorded before (a duplicate).
  virtual Result<bool> recordBatch(const std::string& gateway, std::uint32_t epoch,
                                   std::uint64_t seq, std::size_t readings, bool historical) = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
};

}  // namespace dots::cloud
