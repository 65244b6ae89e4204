#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/reading.h"
#include "sqlite/database.h"

namespace dots::cloud {

// A batch that passed every check, ready to be committed.
struct IncomingBatch {
  std::string gateway;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  Batch batch;
};

struct CommitOutcome {
  std::vector<bool> duplicate;  // per input batch: already stored before
  std::uint64_t readings = 0;   // readings newly stored
};

struct ReadingFilter {
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
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
};

// Readings and the idempotency ledger, in one SQLite file (<data dir>/store.db) so that a
// batch's readings and its (gateway, epoch, seq) key commit in one transaction: a resent batch
// is stored once. Not thread-safe: one instance per thread.
class ReadingStore {
 public:
  static Result<ReadingStore> open(const std::string& data_dir);

  ReadingStore(ReadingStore&&) noexcept;
  ~ReadingStore();

  // Stores every batch not stored before, all in one transaction.
  Result<CommitOutcome> commit(std::span<const IncomingBatch> batches);

  Result<ReadingCounts> count(const ReadingFilter& filter);
  Result<std::vector<SeriesStats>> stats(const ReadingFilter& filter);
  // Newest first.
  Result<std::vector<StoredReading>> recent(const ReadingFilter& filter, std::size_t limit);
  // Every matching reading in (gateway, sensor, time) order.
  Result<void> forEach(const ReadingFilter& filter,
                       const std::function<void(const StoredReading&)>& visit);

 private:
  struct Statements;
  ReadingStore(sqlite::Database db, std::unique_ptr<Statements> statements);
  Result<std::int64_t> seriesId(const std::string& gateway, const Reading& reading);

  sqlite::Database db_;
  std::unique_ptr<Statements> st_;
  std::unordered_map<std::string, std::int64_t> series_cache_;
};

}  // namespace dots::cloud
