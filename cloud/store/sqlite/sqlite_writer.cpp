#include "cloud/store/sqlite/sqlite_writer.h"

#include <algorithm>
#include <map>
#include <utility>

#include "cloud/store/outbox.h"
#include "cloud/store/sqlite/store_schema.h"
#include "shared/codec/batch_codec.h"
#include "shared/time/clock.h"

namespace dots::cloud::sqlite_store {

namespace {
constexpr std::int64_t kFoldIntervalMs = 2000;
constexpr std::uint64_t kFoldMaxDeltas = 1'000'000;
}  // namespace

struct SqliteWriter::Statements {
  sqlite::Statement insert_batch;
  sqlite::Statement find_batch;
  sqlite::Statement find_floor;
  sqlite::Statement delete_batch;
  sqlite::Statement insert_dead_letter;
  sqlite::Statement insert_block;
  sqlite::Statement find_series;
  sqlite::Statement insert_series;
  sqlite::Statement merge_aggregate;
  sqlite::Statement log_aggregates;
  sqlite::Statement read_aggregate_log;
  sqlite::Statement clear_aggregate_log;
  sqlite::Statement insert_alert;
  sqlite::Statement insert_delivery;
  sqlite::Statement insert_push_key;
  sqlite::Statement find_push_key;
};

SqliteWriter::SqliteWriter(sqlite::Database db, std::unique_ptr<Statements> statements)
    : db_(std::move(db)), st_(std::move(statements)) {}
SqliteWriter::~SqliteWriter() = default;

Result<std::unique_ptr<SqliteWriter>> SqliteWriter::open(const std::string& data_dir) {
  auto db = openStoreDatabase(data_dir, sqlite::Database::Mode::kReadWriteCreate);
  if (!db) return std::unexpected(db.error());
  auto insert_batch = db->prepare(
      "INSERT INTO batches(gateway, run, epoch, seq, readings, stored_ms, historical, digest, "
      "state) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT DO NOTHING");
  auto find_batch = db->prepare(
      "SELECT digest, state FROM batches WHERE gateway=?1 AND run=?2 AND epoch=?3 AND seq=?4");
  auto find_floor = db->prepare(
      "SELECT 1 FROM replay_floors WHERE gateway=?1 AND run=?2 AND (epoch, seq) >= (?3, ?4)");
  auto delete_batch =
      db->prepare("DELETE FROM batches WHERE gateway=?1 AND run=?2 AND epoch=?3 AND seq=?4");
  auto insert_dead_letter = db->prepare(
      "INSERT INTO dead_letters(gateway, run, epoch, seq, reason, detail, received_ms, envelope) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  auto insert_block = db->prepare(
      "INSERT INTO reading_blocks(channel_id, gateway, first_ms, last_ms, count, historical, "
      "stored_ms, readings) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  auto find_series = db->prepare("SELECT id FROM series WHERE gateway=?1 AND name=?2 AND unit=?3");
  auto insert_series = db->prepare(
      "INSERT INTO series(gateway, name, unit) VALUES(?1,?2,?3) ON CONFLICT DO NOTHING");
  auto merge_aggregate = db->prepare(
      "INSERT INTO aggregates(channel_id, series_id, window_start_ms, window_ms, count, sum, "
      "sum_squares, min, max) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
      "ON CONFLICT DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum, "
      "sum_squares = sum_squares + excluded.sum_squares, min = min(min, excluded.min), "
      "max = max(max, excluded.max)");
  auto log_aggregates = db->prepare("INSERT INTO aggregate_log(deltas) VALUES(?1)");
  auto read_aggregate_log = db->prepare("SELECT deltas FROM aggregate_log ORDER BY id");
  auto clear_aggregate_log = db->prepare("DELETE FROM aggregate_log");
  auto insert_alert = db->prepare(
      "INSERT INTO alerts(channel_id, account, channel, gateway, sensor, kind, state, value, "
      "time_ms, message, historical, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  auto insert_delivery = db->prepare(
      "INSERT INTO outbox(alert_id, target, address, payload, next_ms, destination) "
      "VALUES(?1,?2,?3,?4,0,?5)");
  auto insert_push_key = db->prepare(
      "INSERT INTO push_keys(endpoint, key, digest, readings, stored_ms) VALUES(?1,?2,?3,?4,?5) "
      "ON CONFLICT DO NOTHING");
  auto find_push_key = db->prepare("SELECT digest FROM push_keys WHERE endpoint=?1 AND key=?2");
  for (auto* st :
       {&insert_batch, &find_batch, &find_floor, &delete_batch, &insert_dead_letter, &insert_block,
        &find_series, &insert_series, &merge_aggregate, &log_aggregates, &read_aggregate_log,
        &clear_aggregate_log, &insert_alert, &insert_delivery, &insert_push_key, &find_push_key}) {
    if (!*st) return std::unexpected(st->error());
  }
  auto statements = std::make_unique<Statements>(Statements{
      std::move(*insert_batch), std::move(*find_batch), std::move(*find_floor),
      std::move(*delete_batch), std::move(*insert_dead_letter), std::move(*insert_block),
      std::move(*find_series), std::move(*insert_series), std::move(*merge_aggregate),
      std::move(*log_aggregates), std::move(*read_aggregate_log), std::move(*clear_aggregate_log),
      std::move(*insert_alert), std::move(*insert_delivery), std::move(*insert_push_key),
      std::move(*find_push_key)});
  return std::unique_ptr<SqliteWriter>(new SqliteWriter(std::move(*db), std::move(statements)));
}

Result<std::int64_t> SqliteWriter::seriesId(std::string_view gateway, SeriesCache::Sensors& sensors,
                                            const std::string& name, const std::string& unit) {
  auto& ids = SeriesCache::slot(sensors, name).by_unit;
  for (const auto& [u, id] : ids) {
    if (u == unit) return id;
  }
  // A sensor not in the cache is most often new: insert first, look up only when it exists.
  auto& ins = st_->insert_series;
  ins.bind(1, gateway).bind(2, name).bind(3, unit);
  if (auto r = ins.run(); !r) return std::unexpected(r.error());
  std::int64_t id = db_.lastInsertRowid();
  if (db_.changes() == 0) {
    auto& find = st_->find_series;
    find.bind(1, gateway).bind(2, name).bind(3, unit);
    auto row = find.step();
    if (!row || !*row) {
      find.reset();
      if (!row) return std::unexpected(row.error());
      return std::unexpected(Error{"store", "series of " + name + " neither inserted nor found"});
    }
    id = find.int64(0);
    find.reset();
  }
  ids.emplace_back(unit, id);
  return id;
}

Result<void> SqliteWriter::begin() {
  // IMMEDIATE: the write lock now, so a commit never meets another writer half way.
  auto t = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!t) return std::unexpected(t.error());
  transaction_.emplace(std::move(*t));
  return {};
}

Result<void> SqliteWriter::commit() {
  return finish(wallMillis() - last_fold_ms_ >= kFoldIntervalMs ||
                logged_deltas_ >= kFoldMaxDeltas);
}

Result<void> SqliteWriter::finish(bool fold) {
  auto r = logAggregates();
  if (r && fold) r = foldAggregateLog();
  if (r) r = transaction_ ? transaction_->commit() : fail("sqlite", "commit without begin");
  if (!r) {
    rollback();
    return r;
  }
  transaction_.reset();
  return r;
}

void SqliteWriter::rollback() {
  transaction_.reset();  // rolls back unless committed
  series_cache_ = {};    // ids created in the transaction are gone
  pending_aggregates_.clear();
  last_fold_ms_ = 0;  // what this store logged or folded may be gone: count afresh
  logged_deltas_ = 0;
}

namespace {
// Run, epoch and seq as SQLite integers (a run is 64 random bits: stored as their two's
// complement, compared as such).
void bindKey(sqlite::Statement& st, const std::string& gateway, const codec::BatchId& id) {
  st.bind(1, gateway)
      .bind(2, static_cast<std::int64_t>(id.run))
      .bind(3, static_cast<std::int64_t>(id.epoch))
      .bind(4, static_cast<std::int64_t>(id.seq));
}
}  // namespace

Result<BatchWriter::Recorded> SqliteWriter::inserted(const std::string& gateway,
                                                     const codec::BatchId& id,
                                                     std::span<const std::uint8_t> digest) {
  if (db_.changes() > 0) {
    // New to the ledger; under the run's replay floor it was pruned from it: a replay.
    auto& ff = st_->find_floor;
    bindKey(ff, gateway, id);
    auto below = ff.step();
    if (!below) return std::unexpected(below.error());
    ff.reset();
    if (!*below) return Recorded::kFresh;
    auto& del = st_->delete_batch;
    bindKey(del, gateway, id);
    if (auto r = del.run(); !r) return std::unexpected(r.error());
    return Recorded::kTooOld;
  }
  auto& fb = st_->find_batch;
  bindKey(fb, gateway, id);
  auto row = fb.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("store-error", "ledger row vanished");
  // A row from before digests were kept cannot tell: it counts as the same batch.
  bool same = fb.isNull(0) || std::ranges::equal(fb.blob(0), digest);
  bool dead = fb.text(1) == "dead-lettered";
  fb.reset();
  if (!same) return Recorded::kConflict;
  return dead ? Recorded::kDeadLettered : Recorded::kDuplicate;
}

Result<BatchWriter::Recorded> SqliteWriter::insertLedgerRow(const std::string& gateway,
                                                            const codec::BatchId& id,
                                                            std::span<const std::uint8_t> digest,
                                                            std::size_t readings, bool historical,
                                                            std::string_view state) {
  auto& ib = st_->insert_batch;
  bindKey(ib, gateway, id);
  ib.bind(5, static_cast<std::int64_t>(readings))
      .bind(6, wallMillis())
      .bind(7, static_cast<std::int64_t>(historical ? 1 : 0))
      .bindBlob(8, digest)
      .bind(9, state);
  if (auto r = ib.run(); !r) return std::unexpected(r.error());
  return inserted(gateway, id, digest);
}

Result<BatchWriter::Recorded> SqliteWriter::recordBatch(const std::string& gateway,
                                                        const codec::BatchId& id,
                                                        std::span<const std::uint8_t> digest,
                                                        std::size_t readings, bool historical) {
  return insertLedgerRow(gateway, id, digest, readings, historical, "stored");
}

Result<BatchWriter::Recorded> SqliteWriter::recordDeadLetter(
    const std::string& gateway, const codec::BatchId& id, std::span<const std::uint8_t> digest,
    const Error& reason, std::span<const std::uint8_t> envelope) {
  auto was = insertLedgerRow(gateway, id, digest, 0, false, "dead-lettered");
  if (!was || *was != Recorded::kFresh) return was;
  auto& dl = st_->insert_dead_letter;
  bindKey(dl, gateway, id);
  dl.bind(5, reason.reason).bind(6, reason.detail).bind(7, wallMillis()).bindBlob(8, envelope);
  if (auto r = dl.run(); !r) return std::unexpected(r.error());
  return Recorded::kFresh;
}

Result<BatchWriter::Recorded> SqliteWriter::recordPush(const std::string& endpoint,
                                                       std::string_view key,
                                                       std::span<const std::uint8_t> digest,
                                                       std::size_t readings) {
  auto& ins = st_->insert_push_key;
  ins.bind(1, endpoint)
      .bind(2, key)
      .bindBlob(3, digest)
      .bind(4, static_cast<std::int64_t>(readings))
      .bind(5, wallMillis());
  if (auto r = ins.run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 1) return Recorded::kFresh;
  auto& find = st_->find_push_key;
  find.bind(1, endpoint).bind(2, key);
  auto row = find.step();
  bool same = row && *row && std::ranges::equal(find.blob(0), digest);
  find.reset();  // on every path: the statement is reused
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("store-error", "push key row vanished");
  return same ? Recorded::kDuplicate : Recorded::kConflict;
}

Result<bool> SqliteWriter::acknowledgeAlert(std::int64_t alert_id,
                                            std::span<const std::int64_t> channel_ids,
                                            const AlertAck& ack) {
  if (channel_ids.empty()) return false;
  std::string in;
  for (std::int64_t id : channel_ids) in += (in.empty() ? "" : ",") + std::to_string(id);
  auto find = db_.prepare("SELECT 1 FROM alerts WHERE id = ?1 AND channel_id IN (" + in + ")");
  if (!find) return std::unexpected(find.error());
  find->bind(1, alert_id);
  auto row = find->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return false;
  auto ins = db_.prepare(
      "INSERT INTO alert_acks(alert_id, acked_by, acked_ms) VALUES(?1, ?2, ?3) "
      "ON CONFLICT DO NOTHING");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, alert_id).bind(2, ack.by).bind(3, ack.at_ms);
  if (auto r = ins->run(); !r) return std::unexpected(r.error());
  return true;
}

Result<void> SqliteWriter::storeReadings(std::int64_t channel_id, std::string_view gateway,
                                         std::span<const Reading> readings, bool historical) {
  if (readings.empty()) return {};
  auto [first, last] = std::ranges::minmax(readings, {}, &Reading::time_ms);
  auto block = codec::encodeReadings(readings, historical);
  auto& st = st_->insert_block;
  st.bind(1, channel_id)
      .bind(2, gateway)
      .bind(3, first.time_ms)
      .bind(4, last.time_ms)
      .bind(5, static_cast<std::int64_t>(readings.size()))
      .bind(6, static_cast<std::int64_t>(historical ? 1 : 0))
      .bind(7, wallMillis())
      .bindBlob(8, block);
  return st.run();
}

Result<void> SqliteWriter::mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                                           std::span<const AggregateDelta> deltas) {
  // Summed per window at commit and logged as one row (see logAggregates).
  auto& sensors = series_cache_.of(gateway);
  for (const AggregateDelta& d : deltas) {
    auto series = seriesId(gateway, sensors, d.sensor, d.unit);
    if (!series) return std::unexpected(series.error());
    pending_aggregates_.push_back({channel_id, *series, d.window_ms, d.window_start_ms, d.count,
                                   d.sum, d.sum_squares, d.min, d.max});
  }
  return {};
}

Result<void> SqliteWriter::logAggregates() {
  if (pending_aggregates_.empty()) return {};
  coalesce(pending_aggregates_);
  auto& st = st_->log_aggregates;
  st.bindBlob(1, logRowBytes(pending_aggregates_));
  if (auto r = st.run(); !r) return r;
  logged_deltas_ += pending_aggregates_.size();
  pending_aggregates_.clear();
  return {};
}

Result<void> SqliteWriter::foldAggregateLog() {
  std::vector<LoggedDelta> deltas;
  deltas.reserve(logged_deltas_);
  Result<void> corrupt;
  auto read = st_->read_aggregate_log.forEachRow([&](const sqlite::Statement& row) {
    if (corrupt) corrupt = appendLogRow(row.blob(0), deltas);
  });
  if (!read) return read;
  if (!corrupt) return corrupt;
  // In key order: neighbouring rows of the table's B-tree are written one after another.
  coalesce(deltas);
  auto& st = st_->merge_aggregate;
  for (const LoggedDelta& d : deltas) {
    st.bind(1, d.channel_id)
        .bind(2, d.series_id)
        .bind(3, d.window_start_ms)
        .bind(4, d.window_ms)
        .bind(5, static_cast<std::int64_t>(d.count))
        .bind(6, d.sum)
        .bind(7, d.sum_squares)
        .bind(8, d.min)
        .bind(9, d.max);
    if (auto r = st.run(); !r) return r;
  }
  if (auto r = st_->clear_aggregate_log.run(); !r) return r;
  last_fold_ms_ = wallMillis();
  logged_deltas_ = 0;
  return {};
}

Result<void> SqliteWriter::foldAggregates() {
  if (auto r = begin(); !r) return r;
  return finish(true);
}

Result<std::int64_t> SqliteWriter::recordAlert(std::int64_t channel_id, std::string_view account,
                                               std::string_view channel, const Alert& a) {
  auto& st = st_->insert_alert;
  st.bind(1, channel_id)
      .bind(2, account)
      .bind(3, channel)
      .bind(4, a.gateway)
      .bind(5, a.sensor)
      .bind(6, a.kind)
      .bind(7, a.state)
      .bind(8, a.value)
      .bind(9, a.time_ms)
      .bind(10, a.message)
      .bind(11, static_cast<std::int64_t>(a.historical ? 1 : 0))
      .bind(12, wallMillis());
  if (auto r = st.run(); !r) return std::unexpected(r.error());
  return db_.lastInsertRowid();
}

Result<void> SqliteWriter::enqueueDelivery(std::int64_t alert_id, std::string_view target,
                                           std::string_view address, std::string_view payload) {
  auto& st = st_->insert_delivery;
  st.bind(1, alert_id).bind(2, target).bind(3, address).bind(4, payload);
  st.bind(5, deliveryDestination(target, address));
  return st.run();
}

}  // namespace dots::cloud::sqlite_store

namespace dots::cloud::sqlite_store {

Result<PruneCounts> SqliteWriter::prune(std::span<const ChannelRetention> channels,
                                        std::int64_t ledger_keep_ms, std::int64_t now_ms,
                                        std::size_t max_rows) {
  if (transaction_) return fail("store", "a retention pass inside a group's transaction");
  // Each DELETE takes at most the rows left in the budget, found through the *_by_age indexes.
  auto blocks = db_.prepare(
      "DELETE FROM reading_blocks WHERE id IN (SELECT id FROM reading_blocks "
      "WHERE channel_id = ?1 AND stored_ms < ?2 LIMIT ?3) RETURNING count");
  auto aggregates = db_.prepare(
      "DELETE FROM aggregates WHERE (channel_id, series_id, window_ms, window_start_ms) IN "
      "(SELECT channel_id, series_id, window_ms, window_start_ms FROM aggregates "
      "WHERE channel_id = ?1 AND window_start_ms < ?2 AND window_start_ms + window_ms <= ?2 "
      "LIMIT ?3)");
  auto alerts = db_.prepare(
      "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts "
      "WHERE channel_id = ?1 AND created_ms < ?2 LIMIT ?3)");
  auto outbox = db_.prepare(
      "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE "
      "(state = 'delivered' AND next_ms < ?1) OR (state = 'failed' AND next_ms < ?2) LIMIT ?3)");
  // The oldest ledger keys first; each run's floor rises to the highest key deleted from it.
  auto ledger = db_.prepare(
      "DELETE FROM batches WHERE (gateway, run, epoch, seq) IN (SELECT gateway, run, epoch, seq "
      "FROM batches WHERE stored_ms < ?1 ORDER BY stored_ms LIMIT ?2) "
      "RETURNING gateway, run, epoch, seq");
  auto push_keys = db_.prepare(
      "DELETE FROM push_keys WHERE (endpoint, key) IN (SELECT endpoint, key FROM push_keys "
      "WHERE stored_ms < ?1 ORDER BY stored_ms LIMIT ?2)");
  auto raise_floor = db_.prepare(
      "INSERT INTO replay_floors(gateway, run, epoch, seq) VALUES(?1,?2,?3,?4) "
      "ON CONFLICT(gateway, run) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq "
      "WHERE (excluded.epoch, excluded.seq) > (epoch, seq)");
  for (auto* st : {&blocks, &aggregates, &alerts, &outbox, &ledger, &push_keys, &raise_floor}) {
    if (!*st) return std::unexpected(st->error());
  }
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());

  PruneCounts counts;
  std::size_t left = max_rows;
  // Runs one DELETE within what is left of the budget; returns the rows it deleted.
  auto take = [&](sqlite::Statement& st, std::int64_t channel_or_cutoff, std::int64_t cutoff,
                  std::uint64_t* readings) -> Result<std::uint64_t> {
    st.bind(1, channel_or_cutoff).bind(2, cutoff).bind(3, static_cast<std::int64_t>(left));
    std::uint64_t rows = 0;
    auto r = st.forEachRow([&](const sqlite::Statement& row) {
      ++rows;
      if (readings) *readings += static_cast<std::uint64_t>(row.int64(0));
    });
    if (!r) return std::unexpected(r.error());
    if (!readings) rows = static_cast<std::uint64_t>(db_.changes());
    left -= std::min<std::size_t>(left, rows);
    return rows;
  };
  for (const ChannelRetention& c : channels) {
    struct Kind {
      sqlite::Statement* st;
      std::int64_t keep_ms;
      std::uint64_t* deleted;
      std::uint64_t* readings;
    };
    for (const Kind& k : {Kind{&*blocks, c.readings_ms, &counts.reading_blocks, &counts.readings},
                          Kind{&*aggregates, c.aggregates_ms, &counts.aggregates, nullptr},
                          Kind{&*alerts, c.alerts_ms, &counts.alerts, nullptr}}) {
      if (k.keep_ms <= 0 || left == 0) continue;
      auto rows = take(*k.st, c.channel_id, now_ms - k.keep_ms, k.readings);
      if (!rows) return std::unexpected(rows.error());
      *k.deleted += *rows;
    }
  }
  if (left > 0) {
    auto rows = take(*outbox, now_ms - kDeliveredGraceMs, now_ms - kFailedGraceMs, nullptr);
    if (!rows) return std::unexpected(rows.error());
    counts.outbox = *rows;
  }
  if (left > 0 && ledger_keep_ms > 0) {
    ledger->bind(1, now_ms - ledger_keep_ms).bind(2, static_cast<std::int64_t>(left));
    std::map<std::pair<std::string, std::int64_t>, std::pair<std::int64_t, std::int64_t>> floors;
    auto r = ledger->forEachRow([&](const sqlite::Statement& row) {
      ++counts.ledger;
      std::pair key{row.text(0), row.int64(1)};
      std::pair at{row.int64(2), row.int64(3)};
      auto [it, fresh] = floors.try_emplace(key, at);
      if (!fresh) it->second = std::max(it->second, at);
    });
    if (!r) return std::unexpected(r.error());
    left -= std::min<std::size_t>(left, counts.ledger);
    for (const auto& [key, at] : floors) {
      raise_floor->bind(1, key.first).bind(2, key.second).bind(3, at.first).bind(4, at.second);
      if (auto raised = raise_floor->run(); !raised) return std::unexpected(raised.error());
    }
  }
  if (left > 0 && ledger_keep_ms > 0) {
    push_keys->bind(1, now_ms - ledger_keep_ms).bind(2, static_cast<std::int64_t>(left));
    if (auto r = push_keys->run(); !r) return std::unexpected(r.error());
    auto n = static_cast<std::uint64_t>(db_.changes());
    counts.ledger += n;
    left -= std::min<std::size_t>(left, n);
  }
  counts.more = left == 0;
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return counts;
}

}  // namespace dots::cloud::sqlite_store
