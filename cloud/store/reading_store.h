#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/reading.h"
#include "pipeline/handler.h"
#include "sqlite/database.h"

namespace dots::cloud {

// A batch that passed every check, ready to be committed.
struct IncomingBatch {
  std::string gateway;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  Batch batch;
};

struct ReadingFilter {
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
  std::optional<std::int64_t> from_ms;  // inclusive
  std::optional<std::int64_t> to_ms;    // exclusive
  std::optional<std::int64_t> channel_id;
};

struct StoredAggregate {
  std::string channel;  // "<account>/<name>" is not known here: the channel id
  std::int64_t channel_id = 0;
  std::string gateway;
  std::string sensor;
  std::string unit;
  std::int64_t window_start_ms = 0;
  std::int64_t window_ms = 0;
  std::uint64_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  // population standard deviation
};

struct StoredAlert {
  std::int64_t id = 0;
  std::string account;
  std::string channel;
  Alert alert;
};

struct Delivery {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string target;   // "mqtt" or "webhook"
  std::string address;  // topic or URL
  std::string payload;
  int attempts = 0;
};

struct ReadingCounts {
  std::uint64_t count = 0;
  std::uint64_t distinct = 0;  // distinct (gateway, sensor, time) triples
};

struct SeriesStats {
  std::string gateway;
  std::string sensor;
  std::string unit;
  std::uint64_t count = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
};

struct StoredReading {
  std::string gateway;
  Reading reading;
  bool historical = false;
  std::int64_t stored_ms = 0;  // when the ingester wrote it (wall clock, in its transaction)
};

// The ingester's store, one SQLite file (<data dir>/store.db): the idempotency ledger of
// batches, readings, aggregates, alerts and the alert delivery outbox. A group of batches is
// one transaction (begin, recordBatch + handler writes per batch, commit), so a batch's key and
// everything its handlers wrote commit together: a resent batch is written once. Readings are
// stored in blocks (one per channel and batch); aggregate deltas are summed in memory and
// written at commit. Not
// thread-safe: one instance per thread.
class ReadingStore final : public ChannelSink {
 public:
  static Result<ReadingStore> open(const std::string& data_dir);

  ReadingStore(ReadingStore&&) noexcept;
  ~ReadingStore() override;

  Result<void> begin();
  // Records a batch's idempotency key; false when it was recorded before (a duplicate).
  Result<bool> recordBatch(const std::string& gateway, std::uint32_t epoch, std::uint64_t seq,
                           std::size_t readings, bool historical);
  Result<void> commit();
  void rollback();

  // ChannelSink
  Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                             std::span<const Reading> readings, bool historical) override;
  Result<void> mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                               std::span<const AggregateDelta> deltas) override;
  Result<std::int64_t> recordAlert(std::int64_t channel_id, std::string_view account,
                                   std::string_view channel, const Alert& alert) override;
  Result<void> enqueueDelivery(std::int64_t alert_id, std::string_view target,
                               std::string_view address, std::string_view payload) override;

  // The outbox, for the notifier.
  Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, std::size_t limit);
  Result<void> markDelivered(std::int64_t id);
  // Schedules another attempt at `next_ms`, or gives up (state "failed") when next_ms < 0.
  Result<void> markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                           const std::string& error);

  Result<ReadingCounts> count(const ReadingFilter& filter);
  Result<std::vector<SeriesStats>> stats(const ReadingFilter& filter);
  // Newest first.
  Result<std::vector<StoredReading>> recent(const ReadingFilter& filter, std::size_t limit);
  // Every matching reading in (gateway, sensor, time) order.
  Result<void> forEach(const ReadingFilter& filter,
                       const std::function<void(const StoredReading&)>& visit);
  // Aggregates are written as a log of per-transaction deltas (one row per commit, whatever
  // the number of sensors) and folded into one row per sensor and window every few seconds,
  // and before every aggregate query, so queries see every committed reading.
  Result<std::vector<StoredAggregate>> aggregates(const ReadingFilter& filter, std::size_t limit);
  // Folds the aggregate log now, in a transaction of its own.
  Result<void> foldAggregates();
  Result<std::vector<StoredAlert>> alerts(const ReadingFilter& filter, std::size_t limit);

 private:
  struct Statements;
  ReadingStore(sqlite::Database db, std::unique_ptr<Statements> statements);
  // Series ids by gateway, then sensor name, then unit (a sensor has one unit, seldom more).
  struct SeriesIds {
    std::vector<std::pair<std::string, std::int64_t>> by_unit;
  };
  using SeriesCache = SensorStates<SeriesIds>;
  Result<std::int64_t> seriesId(std::string_view gateway, SeriesCache::Sensors& sensors,
                                const std::string& name, const std::string& unit);
  // Logs the open transaction's aggregate deltas, folds the log when `fold`, and commits; rolls
  // back on failure.
  Result<void> finish(bool fold);
  // The open transaction's aggregate deltas as one aggregate_log row.
  Result<void> logAggregates();
  // Sums every aggregate_log row into the aggregates table, one upsert per window, and empties
  // the log; inside the caller's transaction.
  Result<void> foldAggregateLog();
  struct Block;
  Result<void> forEachBlock(const ReadingFilter& filter, const char* order,
                            const std::function<bool(const Block&)>& visit);

  sqlite::Database db_;
  std::unique_ptr<Statements> st_;
  SeriesCache series_cache_;
  // One aggregate delta: a window of one series in one channel.
  struct LoggedDelta {
    std::int64_t channel_id;
    std::int64_t series_id;
    std::int64_t window_ms;
    std::int64_t window_start_ms;
    std::uint64_t count;
    double sum;
    double sum_squares;
    double min;
    double max;
  };
  // Sorts deltas by window and sums those of the same window: one per window remains.
  static void coalesce(std::vector<LoggedDelta>& deltas);
  // Aggregate deltas of the open transaction, logged by commit().
  std::vector<LoggedDelta> pending_aggregates_;
  // Folding: the log is folded into the table at most this often by commits (and before every
  // aggregate query), or sooner once it holds this many deltas.
  std::int64_t last_fold_ms_ = 0;
  std::uint64_t logged_deltas_ = 0;
};

}  // namespace dots::cloud
