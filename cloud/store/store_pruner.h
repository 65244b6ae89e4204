#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/error/error.h"

namespace dots::cloud {

// One channel's retention as the store applies it, in milliseconds; 0 keeps that kind forever.
struct ChannelRetention {
  std::int64_t channel_id = 0;
  std::int64_t readings_ms = 0;
  std::int64_t aggregates_ms = 0;
  std::int64_t alerts_ms = 0;
};

// What one pass deleted.
struct PruneCounts {
  std::uint64_t reading_blocks = 0;
  std::uint64_t readings = 0;  // in those blocks
  std::uint64_t aggregates = 0;
  std::uint64_t alerts = 0;
  std::uint64_t outbox = 0;
  std::uint64_t ledger = 0;  // idempotency keys, their runs' replay floors raised over them
  bool more = false;         // the pass stopped at its row budget: expired rows remain

  std::uint64_t rows() const { return reading_blocks + aggregates + alerts + outbox + ledger; }
};

// Deletes what has outlived its retention, in bounded passes: each pass is one short
// transaction of at most `max_rows` deleted rows, run between two groups of batches, so the
// writer is never held for long. Deleted pages are reused by later writes (the file does not
// shrink). Not thread-safe: the commit worker owns it, as it owns the BatchWriter.
class StorePruner {
 public:
  // How long delivered (and, longer, failed) outbox rows are kept after their last attempt.
  static constexpr std::int64_t kDeliveredGraceMs = 3'600'000;
  static constexpr std::int64_t kFailedGraceMs = 7 * 86'400'000LL;

  virtual ~StorePruner() = default;
  // One pass over `channels` (channels not named are left alone), the outbox and the dedup
  // ledger, as of `now_ms`. Ledger keys stored more than `ledger_keep_ms` ago (0: kept for good)
  // are deleted and their runs' replay floors raised over them, so a batch under such a key is
  // refused as replay-too-old, never stored twice.
  virtual Result<PruneCounts> prune(std::span<const ChannelRetention> channels,
                                    std::int64_t ledger_keep_ms, std::int64_t now_ms,
                                    std::size_t max_rows) = 0;
};

}  // namespace dots::cloud
