#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloud/ingest/acker.h"
#include "cloud/ingest/admitter.h"
#include "cloud/ingest/disk_guard.h"
#include "cloud/ingest/endpoint_limiter.h"
#include "cloud/ingest/ingest_stats.h"
#include "cloud/ingest/retention_schedule.h"
#include "cloud/ingest/routing.h"
#include "cloud/intake/intake_queue.h"
#include "cloud/store/batch_writer.h"
#include "cloud/store/store_pruner.h"
#include "shared/senml/payload_parser.h"

namespace dots::cloud {

// The parts the commit worker drives; all outlive it.
struct CommitParts {
  IntakeQueue& queue;
  Topology& topology;
  Admitter& admitter;
  BatchWriter& writer;
  Acker& acker;
  StatsBoard& stats;
  // After the registry changed (e.g. to start or stop streams); worker thread.
  std::function<void(const RoutingSnapshot&)> on_topology;
  // After every commit (e.g. to wake the notifier).
  std::function<void()> on_commit;
  // An authentic batch refused this many times (it cannot decode, or is beyond a bound) is
  // dead-lettered: kept in the dead-letter table, and the gateway told to drop it.
  int dead_letter_after = 3;
  // Per endpoint; excess batches are not acknowledged (the gateway sends them again later).
  RateLimits endpoint_rate;
  // Optional: while it says the disk is low, groups are refused: nothing committed, nothing
  // acknowledged (the gateways keep the batches and send them again).
  const DiskGuard* disk = nullptr;
  // Optional: the retention passes, run between groups (usually the writer itself).
  StorePruner* pruner = nullptr;
  std::chrono::milliseconds retention_interval{60'000};
  std::size_t retention_rows = 4000;  // deleted rows per pass at most
  // How long the dedup ledger keeps a batch key (0: for good); below the pruned keys, a run's
  // replay floor refuses batches as replay-too-old.
  std::chrono::milliseconds ledger_window{30LL * 86'400'000};
};

// Takes groups of messages from the intake queue and commits each group as one transaction:
// per gateway batch its idempotency key (a duplicate is acknowledged again, not run; a different
// batch under a used key is a conflict: alerted, never acknowledged) and what the channels it
// is routed to write; per stream message what its channel writes; per authentic batch refused
// too often its dead letter. On commit the
// handlers keep their state changes and the batches are acknowledged; on failure everything —
// store and handler state — is rolled back and nothing is acknowledged, so the gateways send
// the batches again. One thread.
class CommitWorker {
 public:
  CommitWorker(CommitParts parts, std::size_t max_group, std::chrono::seconds stats_interval)
      : parts_(std::move(parts)),
        max_group_(max_group),
        stats_interval_(stats_interval),
        limiter_(parts_.endpoint_rate) {}

  // The channel name of the alerts the ingester raises itself (conflicts), on
  // dots/v1/alerts/<account>/_ingest.
  static constexpr std::string_view kIngestChannel = "_ingest";
  ~CommitWorker() { join(); }

  void start();
  // Returns once the queue is closed and drained.
  void join();
  // One group, on the caller's thread (what the worker does for each; tests call it directly).
  void process(std::vector<IncomingMessage>& group);
  // One retention pass over the current snapshot's channels, on the caller's thread (what the
  // worker does between groups when one is due); false when it failed.
  bool prune();

 private:
  void run();
  // Answers each pushed message's HTTP request after the commit, and counts them.
  void answerPushes(const std::vector<PushMessage*>& pushes,
                    const std::vector<BatchWriter::Recorded>& recorded);
  Result<void> runChannels(const RoutingSnapshot& routing, const std::string& gateway,
                           Batch& batch);
  Result<void> runStream(const RoutingSnapshot& routing, const StreamMessage& message);
  // True when `in` has now been refused dead_letter_after times.
  bool failedForGood(const IncomingBatch& in);
  Result<void> raiseConflict(const IncomingBatch& in);
  // A group taken while the disk is low: counted, logged, dropped unacknowledged.
  void refuse(std::vector<IncomingMessage>& group);

  CommitParts parts_;
  std::size_t max_group_;
  std::chrono::seconds stats_interval_;
  senml::PayloadParser stream_parser_;
  EndpointLimiter limiter_;
  using Key = std::pair<std::string, codec::BatchId>;
  std::map<Key, int> failures_;
  std::set<Key> alerted_conflicts_;
  RetentionSchedule retention_schedule_{parts_.retention_interval};
  log::RateLimiter log_limiter_;
  std::thread thread_;
};

}  // namespace dots::cloud
