#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "shared/error/error.h"
#include "shared/log/log.h"

namespace dots::cloud {

// Counts of what the ingester did, by outcome; a snapshot is a plain copy.
struct IngestStats {
  std::uint64_t messages = 0;
  std::uint64_t batches_stored = 0;
  std::uint64_t readings_stored = 0;  // readings of new batches, before channels
  std::uint64_t duplicates = 0;
  std::uint64_t dead_lettered = 0;  // authentic batches refused for good
  std::uint64_t acks_sent = 0;
  std::uint64_t other_environment = 0;
  // Taken while the data folder's disk was below the watermark: gateway messages neither
  // committed nor acknowledged (their gateways send them again), stream messages dropped.
  std::uint64_t disk_low_not_acked = 0;
  std::uint64_t disk_low_stream_dropped = 0;
  // Retention passes and what they deleted.
  std::uint64_t retention_passes = 0;
  std::uint64_t retention_failures = 0;
  std::uint64_t pruned_reading_blocks = 0;
  std::uint64_t pruned_readings = 0;
  std::uint64_t pruned_aggregates = 0;
  std::uint64_t pruned_alerts = 0;
  std::uint64_t pruned_outbox = 0;
  std::uint64_t pruned_ledger = 0;
  std::map<std::string, std::uint64_t> rejected;          // by reason
  std::map<std::string, std::uint64_t> endpoint_batches;  // by gateway
  std::map<std::string, std::uint64_t> endpoint_readings;
  std::map<std::string, std::uint64_t> stream_messages;  // by stream
  // Stream messages refused before the queue (also counted in `rejected`), by stream, reason.
  std::map<std::pair<std::string, std::string>, std::uint64_t> stream_rejected;
};

// The ingester's counters, shared by its parts; every member is thread-safe. Rejections are
// counted by reason and logged, rate-limited per reason.
class StatsBoard {
 public:
  IngestStats snapshot() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }
  template <typename F>
  void update(F&& change) {
    std::lock_guard lock(mutex_);
    change(stats_);
  }
  void reject(const Error& error, std::string_view topic);
  // A stream's message refused on its network thread: counted under the reason and per stream,
  // logged rate-limited per reason.
  void rejectStream(const std::string& stream, const Error& error, std::string_view topic);
  // Logs a duplicate batch (acknowledged again), rate-limited.
  void logDuplicate(const std::string& gateway, std::uint32_t epoch, std::uint64_t seq);
  // The periodic summary line (and the final one at shutdown); quiet when nothing happened.
  void logSummary(bool final);

 private:
  mutable std::mutex mutex_;
  IngestStats stats_;
  IngestStats logged_;
  log::RateLimiter log_limiter_;
};

}  // namespace dots::cloud
