#pragma once

#include <chrono>
#include <cstdint>

#include "gateway/spool/spool.h"
#include "gateway/uplink/sealer.h"
#include "gateway/uplink/uplink_counters.h"
#include "shared/log/log.h"

namespace dots::gateway {

// The spool's limits as configured, for the age limit and for what the logs say.
struct SpoolLimits {
  std::uint64_t max_bytes = 1ull << 30;
  SpoolPolicy policy = SpoolPolicy::kDropOldest;
  std::chrono::seconds max_age{0};  // 0: no age limit
};

// Hands sealed batches to the spool and applies its age limit, counting (and logging,
// rate-limited) every reading the spool could not keep. Loop thread only, like the spool.
class SpoolAppender {
 public:
  SpoolAppender(Spool& spool, SpoolLimits limits, UplinkCounters& counters);

  // Stores `sealed`, created at `now_ms` (wall clock); on a spool error its readings are dropped.
  void append(const SealedBatch& sealed, std::int64_t now_ms);
  // Drops the batches older than max_age at `now_ms`; does nothing without an age limit.
  void dropExpired(std::int64_t now_ms);
  bool hasAgeLimit() const { return limits_.max_age.count() > 0; }

 private:
  Spool& spool_;
  SpoolLimits limits_;
  UplinkCounters& counters_;
  log::RateLimiter log_limiter_;
};

}  // namespace dots::gateway
