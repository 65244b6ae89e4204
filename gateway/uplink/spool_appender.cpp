#include "gateway/uplink/spool_appender.h"

namespace dots::gateway {

SpoolAppender::SpoolAppender(Spool& spool, SpoolLimits limits, UplinkCounters& counters)
    : spool_(spool), limits_(limits), counters_(counters) {}

void SpoolAppender::append(const SealedBatch& sealed, std::int64_t now_ms) {
  auto outcome =
      spool_.append(sealed.epoch, sealed.seq, sealed.readings, sealed.envelope, now_ms, sealed.run);
  if (!outcome) {
    // The readings cannot be kept: count them as dropped, loudly.
    counters_.spool_errors.fetch_add(1);
    counters_.batches_dropped.fetch_add(1);
    counters_.readings_dropped.fetch_add(sealed.readings);
    log::error("spool", "cannot store a batch of ", sealed.readings,
               " readings (dropped): ", outcome.error().describe());
    return;
  }
  if (outcome->dropped_readings > 0) {
    counters_.batches_dropped.fetch_add(outcome->dropped_batches);
    counters_.readings_dropped.fetch_add(outcome->dropped_readings);
    long suppressed = 0;
    if (log_limiter_.allow("spool-full", suppressed)) {
      log::warn("spool", "spool full (", spool_.bytes(), " of ", spool_.cap(), " bytes",
                spool_.cap() < limits_.max_bytes ? ", short of disk space" : "", "): dropped ",
                outcome->dropped_readings, " readings by policy ",
                limits_.policy == SpoolPolicy::kDropOldest ? "drop-oldest" : "reject-new", "; ",
                counters_.readings_dropped.load(), " dropped in all");
    }
  }
  if (outcome->stored) {
    counters_.batches_spooled.fetch_add(1);
    counters_.readings_spooled.fetch_add(sealed.readings);
    counters_.sealed_bytes.fetch_add(sealed.envelope.size());
  }
}

void SpoolAppender::dropExpired(std::int64_t now_ms) {
  if (!hasAgeLimit()) return;
  std::int64_t cutoff =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_age).count();
  auto dropped = spool_.dropOlderThan(cutoff);
  if (!dropped) {
    counters_.spool_errors.fetch_add(1);
    log::error("spool", "cannot drop expired batches: ", dropped.error().describe());
    return;
  }
  if (dropped->dropped_readings == 0) return;
  counters_.batches_dropped.fetch_add(dropped->dropped_batches);
  counters_.readings_dropped.fetch_add(dropped->dropped_readings);
  log::warn("spool", "dropped ", dropped->dropped_readings, " readings in ",
            dropped->dropped_batches, " batches older than spool.max_age_s (",
            limits_.max_age.count(), " s); ", counters_.readings_dropped.load(), " dropped in all");
}

}  // namespace dots::gateway
