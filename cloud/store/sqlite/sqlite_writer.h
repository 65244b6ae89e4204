#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloud/pipeline/sensor_map.h"
#include "cloud/store/batch_writer.h"
#include "cloud/store/sqlite/aggregate_log.h"
#include "cloud/store/store_pruner.h"
#include "shared/sqlite/database.h"

namespace dots::cloud::sqlite_store {

// The write side of the SQLite store (<data dir>/store.db): the idempotency ledger, reading
// blocks (one per channel and batch, a Batch FlatBuffer), aggregates, alerts and the outbox's
// new rows. Aggregate deltas are summed in memory per transaction, logged as one aggregate_log
// row at commit, and folded into one row per sensor and window every 2 s (or at 1,000,000
// logged deltas) by a committing transaction; queries merge what is not folded yet. It also
// runs the retention passes (StorePruner), between groups. Not thread-safe: the commit worker
// owns it.
class SqliteWriter final : public BatchWriter, public StorePruner {
 public:
  static Result<std::unique_ptr<SqliteWriter>> open(const std::string& data_dir);
  ~SqliteWriter() override;

  Result<void> begin() override;
  Result<Recorded> recordBatch(const std::string& gateway, const codec::BatchId& id,
                               std::span<const std::uint8_t> digest, std::size_t readings,
                               bool historical) override;
  Result<Recorded> recordDeadLetter(const std::string& gateway, const codec::BatchId& id,
                                    std::span<const std::uint8_t> digest, const Error& reason,
                                    std::span<const std::uint8_t> envelope) override;
  Result<Recorded> recordPush(const std::string& endpoint, std::string_view key,
                              std::span<const std::uint8_t> digest, std::size_t readings) override;
  Result<bool> acknowledgeAlert(std::int64_t alert_id, std::span<const std::int64_t> channel_ids,
                                const AlertAck& ack) override;
  Result<void> commit() override;
  void rollback() override;

  Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                             std::span<const Reading> readings, bool historical) override;
  Result<void> mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                               std::span<const AggregateDelta> deltas) override;
  Result<std::int64_t> recordAlert(std::int64_t channel_id, std::string_view account,
                                   std::string_view channel, const Alert& alert) override;
  Result<void> enqueueDelivery(std::int64_t alert_id, std::string_view target,
                               std::string_view address, std::string_view payload) override;

  // Its own IMMEDIATE transaction; fails inside a group's. Deleted pages go to SQLite's
  // freelist and are reused by later writes (no auto_vacuum: the file keeps its size).
  Result<PruneCounts> prune(std::span<const ChannelRetention> channels, std::int64_t ledger_keep_ms,
                            std::int64_t now_ms, std::size_t max_rows) override;

  // Folds the aggregate log now, in a transaction of its own (tests, shutdown).
  Result<void> foldAggregates();

 private:
  // Inserts the key's ledger row unless it exists; what the key was.
  Result<Recorded> insertLedgerRow(const std::string& gateway, const codec::BatchId& id,
                                   std::span<const std::uint8_t> digest, std::size_t readings,
                                   bool historical, std::string_view state);
  // After an INSERT ... ON CONFLICT DO NOTHING into the ledger: what the key was.
  Result<Recorded> inserted(const std::string& gateway, const codec::BatchId& id,
                            std::span<const std::uint8_t> digest);
  struct Statements;
  SqliteWriter(sqlite::Database db, std::unique_ptr<Statements> statements);
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
  Result<void> logAggregates();
  // Sums every aggregate_log row into the aggregates table, one upsert per window, and empties
  // the log; inside the caller's transaction.
  Result<void> foldAggregateLog();

  sqlite::Database db_;
  std::unique_ptr<Statements> st_;
  std::optional<sqlite::Transaction> transaction_;  // the open group's
  SeriesCache series_cache_;
  std::vector<LoggedDelta> pending_aggregates_;  // of the open transaction
  std::int64_t last_fold_ms_ = 0;
  std::uint64_t logged_deltas_ = 0;
};

}  // namespace dots::cloud::sqlite_store
