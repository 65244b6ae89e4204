#include "cloud/ingest/ingest_stats.h"

namespace dots::cloud {

void StatsBoard::reject(const Error& error, std::string_view topic) {
  std::uint64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    total = ++stats_.rejected[error.reason];
  }
  long suppressed = 0;
  if (log_limiter_.allow(error.reason, suppressed)) {
    log::warn("ingest", "rejected batch on ", topic, ": ", error.describe(), " (", total, " ",
              error.reason, " so far",
              suppressed ? log::concat(", ", suppressed, " not logged") : "", ")");
  }
}

void StatsBoard::rejectStream(const std::string& stream, const Error& error,
                              std::string_view topic) {
  std::uint64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    total = ++stats_.rejected[error.reason];
    ++stats_.stream_rejected[{stream, error.reason}];
  }
  long suppressed = 0;
  if (log_limiter_.allow(error.reason, suppressed)) {
    log::warn("ingest", "stream ", stream, ": rejected",
              topic.empty() ? std::string() : log::concat(" message on ", topic), ": ",
              error.describe(), " (", total, " ", error.reason, " so far",
              suppressed ? log::concat(", ", suppressed, " not logged") : "", ")");
  }
}

void StatsBoard::logDuplicate(const std::string& gateway, std::uint32_t epoch, std::uint64_t seq) {
  long suppressed = 0;
  if (log_limiter_.allow("duplicate", suppressed)) {
    log::info("ingest", "duplicate batch ", gateway, " epoch ", epoch, " seq ", seq,
              " (stored before; acknowledged again)",
              suppressed ? log::concat(", ", suppressed, " more not logged") : "");
  }
}

void StatsBoard::logSummary(bool final) {
  IngestStats now = snapshot();
  IngestStats before;
  {
    std::lock_guard lock(mutex_);
    before = logged_;
    if (!final && now.messages == before.messages) return;
    logged_ = now;
  }
  std::string rejected;
  auto reasons = now.rejected;
  if (now.duplicates > 0) reasons["duplicate"] = now.duplicates;
  for (const auto& [reason, n] : reasons) rejected += " " + reason + "=" + std::to_string(n);
  log::info(
      "ingest", final ? "final: " : "", now.readings_stored, " readings stored in ",
      now.batches_stored, " batches (+", now.readings_stored - before.readings_stored,
      " since last report); rejected or repeated batches:", rejected.empty() ? " none" : rejected);
}

}  // namespace dots::cloud
