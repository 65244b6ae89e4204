#include "cloud/store/sqlite/store_schema.h"

#include <filesystem>

namespace dots::cloud::sqlite_store {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  UNIQUE(gateway, name, unit));
-- Readings are kept in blocks: the readings one channel stored from one batch, encoded as a
-- dots.wire.Batch FlatBuffer (schemas/batch.fbs), with their time span for block-level filters.
CREATE TABLE IF NOT EXISTS reading_blocks(
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL,
  gateway TEXT NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  readings BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS reading_blocks_by_gateway ON reading_blocks(gateway, id);
CREATE TABLE IF NOT EXISTS batches(
  gateway TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  PRIMARY KEY(gateway, epoch, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregates(
  channel_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  window_start_ms INTEGER NOT NULL,
  window_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  sum_squares REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  PRIMARY KEY(channel_id, series_id, window_ms, window_start_ms)) WITHOUT ROWID;
-- Aggregate deltas not yet folded into aggregates: one row per committing transaction, an array
-- of LoggedDelta records (aggregate_log.h), little-endian.
CREATE TABLE IF NOT EXISTS aggregate_log(
  id INTEGER PRIMARY KEY,
  deltas BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL,
  account TEXT NOT NULL,
  channel TEXT NOT NULL,
  gateway TEXT NOT NULL,
  sensor TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  value REAL NOT NULL,
  time_ms INTEGER NOT NULL,
  message TEXT NOT NULL,
  historical INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  address TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ms);
)sql";
}  // namespace

Result<sqlite::Database> openStoreDatabase(const std::string& data_dir,
                                           sqlite::Database::Mode mode) {
  std::string path = data_dir + "/store.db";
  if (mode == sqlite::Database::Mode::kReadOnly && !std::filesystem::exists(path)) {
    // A query before any ingester ran: create the empty store first, so the answer is "none".
    auto created = openStoreDatabase(data_dir, sqlite::Database::Mode::kReadWriteCreate);
    if (!created) return std::unexpected(created.error());
  }
  auto db = sqlite::Database::open(path, mode);
  if (!db) return std::unexpected(db.error());
  if (mode == sqlite::Database::Mode::kReadOnly) return db;
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema}) {
    if (auto r = db->exec(sql); !r) return std::unexpected(r.error());
  }
  // Stores from before per-destination delivery get the column; their rows are keyed by
  // their address (a webhook URL), which keeps them apart from every other receiver.
  auto has = db->prepare("SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'destination'");
  if (!has) return std::unexpected(has.error());
  auto found = has->step();
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    for (const char* sql : {"ALTER TABLE outbox ADD COLUMN destination TEXT",
                            "UPDATE outbox SET destination = CASE WHEN target = 'mqtt' THEN 'mqtt' "
                            "ELSE address END"}) {
      if (auto r = db->exec(sql); !r) return std::unexpected(r.error());
    }
  }
  if (auto r = db->exec(
          "CREATE INDEX IF NOT EXISTS outbox_destination ON outbox(destination, state, next_ms)");
      !r) {
    return std::unexpected(r.error());
  }
  return db;
}

}  // namespace dots::cloud::sqlite_store
