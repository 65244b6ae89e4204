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
-- The idempotency ledger: one row per batch key (gateway, run, epoch, seq), with the seal's tag
-- as the batch's digest (a resend has the same one; a different batch under a used key has
-- another) and its state: 'stored' or 'dead-lettered'.
CREATE TABLE IF NOT EXISTS batches(
  gateway TEXT NOT NULL,
  run INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  digest BLOB,
  state TEXT NOT NULL DEFAULT 'stored',
  PRIMARY KEY(gateway, run, epoch, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_by_age ON batches(stored_ms);
-- Each run's replay floor: every key of the run at or below (epoch, seq) has been pruned from
-- the ledger, so a batch there that the ledger does not hold is a replay (or too late) and is
-- refused as replay-too-old. One row per run that has been pruned.
CREATE TABLE IF NOT EXISTS replay_floors(
  gateway TEXT NOT NULL,
  run INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY(gateway, run)) WITHOUT ROWID;
-- The push endpoint's idempotency keys (the Idempotency-Key header of a POST), with the SHA-256
-- of the body: a retried POST is stored once. Pruned with the ledger's window.
CREATE TABLE IF NOT EXISTS push_keys(
  endpoint TEXT NOT NULL,
  key TEXT NOT NULL,
  digest BLOB NOT NULL,
  readings INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  PRIMARY KEY(endpoint, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS push_keys_by_age ON push_keys(stored_ms);
-- Authentic batches refused for good (they cannot decode, or are beyond a bound), kept for a
-- look: the envelope as received and why.
CREATE TABLE IF NOT EXISTS dead_letters(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  run INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  envelope BLOB NOT NULL);
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
-- Who acknowledged an alert, and when (the first acknowledgement stays).
CREATE TABLE IF NOT EXISTS alert_acks(
  alert_id INTEGER PRIMARY KEY,
  acked_by TEXT NOT NULL,
  acked_ms INTEGER NOT NULL);
-- An alert's acknowledgement goes with it (retention), so an alert that later reuses its id
-- starts unacknowledged.
CREATE TRIGGER IF NOT EXISTS alert_acks_follow AFTER DELETE ON alerts
BEGIN DELETE FROM alert_acks WHERE alert_id = old.id; END;
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
-- For a delivered or failed row, next_ms is the time of its last attempt (pruned after a grace).
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ms);
-- For the retention passes (SqliteWriter::prune): what each channel wrote, oldest first.
CREATE INDEX IF NOT EXISTS reading_blocks_by_age ON reading_blocks(channel_id, stored_ms);
CREATE INDEX IF NOT EXISTS aggregates_by_age ON aggregates(channel_id, window_start_ms);
CREATE INDEX IF NOT EXISTS alerts_by_age ON alerts(channel_id, created_ms);
)sql";
// A ledger made before batch keys carried the gateway's run is rebuilt with the new key (its
// rows get run 0 and no digest: resends of them count as duplicates).
constexpr const char* kLedgerWithRun = R"sql(
CREATE TABLE batches_with_run(
  gateway TEXT NOT NULL,
  run INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  digest BLOB,
  state TEXT NOT NULL DEFAULT 'stored',
  PRIMARY KEY(gateway, run, epoch, seq)) WITHOUT ROWID;
INSERT INTO batches_with_run(gateway, run, epoch, seq, readings, stored_ms, historical)
  SELECT gateway, 0, epoch, seq, readings, stored_ms, historical FROM batches;
DROP TABLE batches;
ALTER TABLE batches_with_run RENAME TO batches;
)sql";

Result<void> migrateLedger(sqlite::Database& db) {
  auto st = db.prepare("SELECT count(*) FROM pragma_table_info('batches') WHERE name='run'");
  if (!st) return std::unexpected(st.error());
  if (auto row = st->step(); !row) return std::unexpected(row.error());
  bool current = st->int64(0) > 0;
  st->reset();
  if (current) return {};
  auto tx = sqlite::Transaction::begin(db, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = db.exec(kLedgerWithRun); !r) return r;
  return tx->commit();
}

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
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
    if (auto r = db->exec(sql); !r) return std::unexpected(r.error());
  }
  // An old ledger first: the schema's CREATE ... IF NOT EXISTS leaves an existing table as it is.
  auto has_ledger = db->prepare("SELECT count(*) FROM sqlite_master WHERE name='batches'");
  if (!has_ledger) return std::unexpected(has_ledger.error());
  if (auto row = has_ledger->step(); !row) return std::unexpected(row.error());
  bool ledger = has_ledger->int64(0) > 0;
  has_ledger->reset();
  if (ledger) {
    if (auto r = migrateLedger(*db); !r) return std::unexpected(r.error());
  }
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
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
