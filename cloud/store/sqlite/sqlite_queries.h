#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cloud/store/reading_queries.h"
#include "shared/model/reading.h"
#include "shared/sqlite/database.h"

namespace dots::cloud::sqlite_store {

// The read side of <data dir>/store.db on a read-only connection: never writes (an aggregate
// query merges the not yet folded aggregate_log rows in memory instead of folding them), so it
// never takes or waits for the writer's transaction.
class SqliteQueries final : public ReadingQueries {
 public:
  static Result<std::unique_ptr<SqliteQueries>> open(const std::string& data_dir);

  Result<ReadingCounts> count(const ReadingFilter& filter) override;
  Result<std::vector<SeriesStats>> stats(const ReadingFilter& filter) override;
  Result<std::vector<StoredReading>> recent(const ReadingFilter& filter,
                                            std::size_t limit) override;
  Result<std::vector<StoredReading>> readings(const ReadingFilter& filter,
                                              std::size_t limit) override;
  Result<std::vector<ReadingBucket>> buckets(const ReadingFilter& filter, std::int64_t from_ms,
                                             std::int64_t to_ms, std::size_t buckets) override;
  Result<void> forEach(const ReadingFilter& filter,
                       const std::function<void(const StoredReading&)>& visit) override;
  Result<std::vector<StoredAggregate>> aggregates(const ReadingFilter& filter,
                                                  std::size_t limit) override;
  Result<std::vector<StoredAlert>> alerts(const ReadingFilter& filter, std::size_t limit) override;

 private:
  explicit SqliteQueries(sqlite::Database db) : db_(std::move(db)) {}
  // A stored block and its decoded readings.
  struct Block {
    std::string gateway;
    std::int64_t stored_ms = 0;
    Batch batch;
  };
  // Visits the blocks that may hold readings matching `filter`, in `order` ("id", "id DESC" or
  // "gateway, id"); the visitor filters the readings themselves and returns false to stop.
  Result<void> forEachBlock(const ReadingFilter& filter, const char* order,
                            const std::function<bool(const Block&)>& visit);

  sqlite::Database db_;
};

}  // namespace dots::cloud::sqlite_store
